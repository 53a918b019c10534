// The one live stream (GET /api/v1/stream, SSE) and what happens when the network drops.
//
// While the EventSource is merely interrupted, the browser reconnects by itself and sends
// Last-Event-ID, and the server replays every order and fill event after it: nothing is missed
// and the blotter needs no reload. Position and account events are not resumable, so after any
// reconnect those panels are re-read over REST. If the browser gives up (readyState CLOSED, e.g.
// the server answered an error), we open a new EventSource after a backoff; a new EventSource
// cannot send Last-Event-ID, so then every panel is re-read from REST (snapshot, then deltas).

const KINDS = ["quote", "order", "fill", "position"];
const MAX_BACKOFF_MS = 10000;

export class LiveStream {
  /**
   * @param {string} url
   * @param {{[kind: string]: (data: object, id: string) => void}} handlers
   * @param {{onState: (state: string) => void, onResume: () => void, onRestart: () => void}} hooks
   */
  constructor(url, handlers, hooks) {
    this.url = url;
    this.handlers = handlers;
    this.hooks = hooks;
    this.lastEventId = "";
    this.opened = false;
    this.restarted = false;
    this.backoff = 500;
    this.source = null;
  }

  start() {
    const source = new EventSource(this.url);
    this.source = source;
    source.onopen = () => {
      this.backoff = 500;
      this.hooks.onState("live");
      // re-read only once the stream is open again: whatever changes from here on arrives live
      if (this.restarted) this.hooks.onRestart();
      else if (this.opened) this.hooks.onResume();
      this.opened = true;
      this.restarted = false;
    };
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        this.hooks.onState("down");
        source.close();
        const wait = this.backoff;
        this.backoff = Math.min(MAX_BACKOFF_MS, this.backoff * 2);
        setTimeout(() => {
          this.restarted = true;
          this.start();
        }, wait);
      } else {
        this.hooks.onState("reconnecting"); // the browser retries with Last-Event-ID
      }
    };
    for (const kind of KINDS) {
      source.addEventListener(kind, (event) => {
        if (event.lastEventId) this.lastEventId = event.lastEventId;
        let data;
        try {
          data = JSON.parse(event.data);
        } catch {
          return; // a garbled line must not stop the screen
        }
        try {
          this.handlers[kind]?.(data, event.lastEventId);
        } catch (err) {
          console.error(`stream ${kind} handler failed`, err);
        }
      });
    }
  }
}
