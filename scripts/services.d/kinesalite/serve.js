// kinesalite bound to 127.0.0.1 only (its own CLI listens on every interface), closing its LevelDB
// store on SIGTERM/SIGINT so that `scripts/services down` never leaves a half-written log behind,
// and with one fix (below) so that it answers GetShardIterator AT_TIMESTAMP as AWS does.
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
  console.log(JSON.stringify({ level: 'info', message: 'kinesalite stopping', signal }))
  server.close((err) => {
    if (err) console.error(JSON.stringify({ level: 'error', message: 'close failed', error: String(err) }))
    process.exit(err ? 1 : 0)
  })
  server.closeAllConnections()  // keep-alive clients would otherwise hold close() open
}
process.on('SIGTERM', () => stop('SIGTERM'))
process.on('SIGINT', () => stop('SIGINT'))
