// `tradewind demo` prints /login#token=...: the fragment never leaves the browser (not in server
// logs, not in Referer). Fill the field, forget the fragment, sign in. A shown error stops the loop.
const match = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
if (match) {
  history.replaceState(null, "", window.location.pathname);
  if (!document.querySelector('[data-testid="login-error"]')) {
    document.getElementById("token").value = decodeURIComponent(match[1]);
    document.getElementById("login-form").requestSubmit();
  }
}
