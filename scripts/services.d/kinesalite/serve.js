// kinesalite bound to 127.0.0.1 only (its own CLI listens on every interface), closing its LevelDB
// store on SIGTERM/SIGINT so that `scripts/services down` never leaves a half-written log behind,
// with one fix (below) so that it answers GetShardIterator AT_TIMESTAMP as AWS does, and a trimmer
// that deletes records past the stream's retention (below: kinesalite itself never does).
// Usage: node serve.js --modules DIR --port PORT --path DATA_DIR [--shardLimit N] [kinesalite options]
'use strict'
const path = require('path')
const argv = require('minimist')(process.argv.slice(2))  // resolved through NODE_PATH (set by kinesalite.sh)

// kinesalite 3.3.3 never answers GetShardIterator AT_TIMESTAMP when no record of the shard arrived
// at or after the timestamp (its lazy stream ends without calling back: the client times out).
// AWS answers an iterator that returns the records put from then on, i.e. LATEST. Our consumer asks
// exactly that on its first start (DESIGN.md "Benchmarks"), so wrap the action before kinesalite's
// index.js loads it: scan the shard as kinesalite would; nothing there -> LATEST.
const actionPath = require.resolve(path.join(argv.modules, 'kinesalite', 'actions', 'getShardIterator'))
const db = require(path.join(argv.modules, 'kinesalite', 'db'))
const getShardIterator = require(actionPath)
require.cache[actionPath].exports = function getShardIteratorAtTimestampFixed(store, data, cb) {
  if (data.ShardIteratorType !== 'AT_TIMESTAMP' || data.Timestamp == null) return getShardIterator(store, data, cb)
  let shardIx
  try {
    shardIx = db.resolveShardId(data.ShardId).shardIx
  } catch (e) {
    return getShardIterator(store, data, cb)  // answers its own ResourceNotFoundException
  }
  let done = false
  const once = (fn) => { if (!done) { done = true; fn() } }
  const records = store.getStreamDb(data.StreamName).createReadStream({
    gt: db.shardIxToHex(shardIx), lt: db.shardIxToHex(shardIx + 1),
  })
  records.on('data', (item) => {
    if (item.value.ApproximateArrivalTimestamp >= data.Timestamp) {
      once(() => { records.destroy(); getShardIterator(store, data, cb) })
    }
  })
  records.on('error', (err) => once(() => cb(err)))
  records.on('end', () => once(() => getShardIterator(store, { ...data, ShardIteratorType: 'LATEST', Timestamp: undefined }, cb)))
}

// kinesalite deletes a record past the stream's retention only when a GetRecords call reads over
// it, which a consumer that keeps up never does (it reads from where it is, not from the start):
// its LevelDB grew ~17 MB an hour under the soak, for ever. Here every --trimEveryMs (10 min) the
// records older than each stream's RetentionPeriodHours (24 h by default, as in Kinesis) are
// deleted from the start of each shard, so the disk holds one retention period of the stream.
// --trimClockOffsetMs trims as if the clock were that far ahead (for the test of the trimmer).
const stores = []
const create = db.create
db.create = function createAndRemember(options) {
  const store = create(options)
  stores.push(store)
  return store
}
const TRIM_EVERY_MS = Number(argv.trimEveryMs || 600000)
const CLOCK_OFFSET_MS = Number(argv.trimClockOffsetMs || 0)

function readAll(readable) {
  return new Promise((resolve, reject) => {
    const out = []
    readable.on('data', (item) => out.push(item)).on('error', reject).on('end', () => resolve(out))
  })
}

function oldKeysOfShard(streamDb, shardIx, cutoff) {
  return new Promise((resolve, reject) => {
    const keys = []
    const records = streamDb.createKeyStream({ gt: db.shardIxToHex(shardIx), lt: db.shardIxToHex(shardIx + 1) })
    records.on('data', (key) => {
      if (db.parseSequence(key.split('/')[1]).seqTime < cutoff) keys.push(key)
      else records.destroy()  // a shard's records are in sequence, so in time, order: the rest are younger
    })
    records.on('error', reject).on('end', () => resolve(keys)).on('close', () => resolve(keys))
  })
}

async function trim() {
  for (const store of stores) {
    const now = Date.now() + CLOCK_OFFSET_MS
    for (const { key: name, value: stream } of await readAll(store.metaDb.createReadStream())) {
      const cutoff = now - stream.RetentionPeriodHours * 60 * 60 * 1000
      const streamDb = store.getStreamDb(name)
      let deleted = 0
      for (let shardIx = 0; shardIx < (stream.Shards || []).length; shardIx++) {
        const keys = await oldKeysOfShard(streamDb, shardIx, cutoff)
        for (let i = 0; i < keys.length; i += 10000) {
          const batch = keys.slice(i, i + 10000).map((key) => ({ type: 'del', key }))
          await new Promise((resolve, reject) => streamDb.batch(batch, (err) => (err ? reject(err) : resolve())))
        }
        deleted += keys.length
      }
      console.log(JSON.stringify({ level: 'info', message: 'trimmed past retention', stream: name, deleted }))
    }
  }
}

let trimming = false
const trimmer = setInterval(() => {
  if (trimming) return
  trimming = true
  trim()
    .catch((err) => console.error(JSON.stringify({ level: 'error', message: 'trim failed', error: String(err && err.stack || err) })))
    .finally(() => { trimming = false })
}, TRIM_EVERY_MS)

const kinesalite = require(path.join(argv.modules, 'kinesalite'))

const host = argv.host || '127.0.0.1'
const server = kinesalite(argv).listen(argv.port || 4567, host, () => {
  const a = server.address()
  console.log(JSON.stringify({ level: 'info', message: 'kinesalite listening', host: a.address, port: a.port, path: argv.path || null }))
})

let stopping = false
function stop(signal) {
  if (stopping) return
  stopping = true
  clearInterval(trimmer)
  console.log(JSON.stringify({ level: 'info', message: 'kinesalite stopping', signal }))
  server.close((err) => {
    if (err) console.error(JSON.stringify({ level: 'error', message: 'close failed', error: String(err) }))
    process.exit(err ? 1 : 0)
  })
  server.closeAllConnections()  // keep-alive clients would otherwise hold close() open
}
process.on('SIGTERM', () => stop('SIGTERM'))
process.on('SIGINT', () => stop('SIGINT'))
