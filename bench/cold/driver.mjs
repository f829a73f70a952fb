// Runs in a fresh process: imports one contestant's handler, calls it once, prints the times since process start.
const entry = process.argv[2]
const event = JSON.parse(process.argv[3])
const imported = await import(entry)
const afterImport = performance.now()
const result = await imported.handler(event, { awsRequestId: 'cold', getRemainingTimeInMillis: () => 29_000 })
const afterCall = performance.now()
process.stdout.write(JSON.stringify({ afterImport, afterCall, statusCode: result?.statusCode, body: result?.body }))
