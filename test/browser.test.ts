import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { chromium, type Browser } from 'playwright-core'
import type { EventShape } from '../src/event/shape.js'
import { startGateway, type Gateway, type LambdaFunction } from './support/gateway.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const chromiumPath = '/usr/bin/chromium'
const hasChromium = existsSync(chromiumPath)
if (!hasChromium)
  console.warn(
    `browser tests skipped: ${chromiumPath} is missing (npm test installs it through scripts/setup-e2e.sh where it can)`,
  )
const describeWithChromium = hasChromium ? describe : describe.skip

// The flags this machine's closed network needs (see the testing notes): no background fetches, no QUIC.
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

async function servePage(): Promise<{ server: Server; url: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'middy-grpc-web-'))
  await build({
    entryPoints: [join(root, 'examples/web/app.js')],
    bundle: true,
    format: 'iife',
    globalName: 'greeterApp',
    platform: 'browser',
    outfile: join(dir, 'app.bundle.js'),
    logLevel: 'error',
  })
  writeFileSync(join(dir, 'index.html'), readFileSync(join(root, 'examples/web/index.html')))
  writeFileSync(
    join(dir, 'greeter.binpb'),
    execFileSync(join(root, 'node_modules/.bin/buf'), ['build', '-o', '-#format=binpb', '.'], {
      cwd: join(root, 'examples/greeter'),
    }),
  )
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.binpb': 'application/octet-stream',
  }
  const server = createServer((req, res) => {
    const file = join(dir, new URL(req.url ?? '/', 'http://x').pathname)
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/index.html` }
}

describeWithChromium('browsers: connect-web and grpc-web in headless Chromium, cross-origin', () => {
  let browser: Browser
  let page: { server: Server; url: string }

  beforeAll(async () => {
    page = await servePage()
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs })
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await new Promise((resolve) => page?.server.close(resolve))
  })

  // A multi-value ALB target group is left out: @middy/http-cors writes only `headers`, which such a group ignores.
  describe.each(['v2', 'v1', 'url', 'alb'] as EventShape[])('through a %s event', (shape) => {
    let gateway: Gateway
    beforeAll(async () => {
      // The example is plain JavaScript, as users deploy it.
      const { handler } = (await import('../examples/greeter/handler.js' as string)) as { handler: LambdaFunction }
      gateway = await startGateway(handler, shape)
    })
    afterAll(() => gateway.close())

    test('every client gets the reply and the error', async () => {
      const tab = await browser.newPage()
      try {
        await tab.goto(`${page.url}?api=${encodeURIComponent(gateway.baseUrl)}`)
        await tab.waitForFunction(() => (globalThis as { results?: unknown }).results !== undefined, undefined, {
          timeout: 20_000,
        })
        const results = await tab.evaluate(() => (globalThis as { results?: unknown }).results)
        mkdirSync(join(root, 'test-artifacts'), { recursive: true })
        await tab.screenshot({ path: join(root, 'test-artifacts', `browser-${shape}.png`) })
        expect(results).toEqual(
          [
            'connect-web gRPC-Web',
            'connect-web Connect proto',
            'connect-web Connect JSON',
            'grpc-web binary',
            'grpc-web text',
          ].map((client) => ({ client, reply: `Hello, ${client}`, errorCode: 5, errorMessage: 'no such user' })),
        )
        // The preflights reached the function and were answered there.
        expect(gateway.events.some((event) => JSON.stringify(event).includes('"OPTIONS"'))).toBe(true)
      } finally {
        await tab.close()
      }
    }, 30_000)
  })
})
