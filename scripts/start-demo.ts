/**
 * `npm start`: the demo shop API on 127.0.0.1:3000 and Portcullis on 127.0.0.1:8080 in front of it
 * (admin on 127.0.0.1:9901). Ctrl-C stops both.
 *
 * POST /login answers a JWT signed with the demo-only secret that examples/portcullis.yaml verifies (set
 * SHOP_JWT_SECRET to use another one, and change the policy to match); GET /shops then lists the user's shops as
 * identifier tokens, which /shops/{token}/revenue_data.json accepts (docs/protections/identifier-cloaking.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect(port, '127.0.0.1', () => { socket.destroy(); resolve(); });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on 127.0.0.1:${port}`)); else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

const children: ChildProcess[] = [];
const stopAll = (signal: NodeJS.Signals) => { for (const child of children) child.kill(signal); };
process.on('SIGINT', () => stopAll('SIGTERM'));
process.on('SIGTERM', () => stopAll('SIGTERM'));

const api = spawn(process.execPath, ['examples/shop-api/server.ts'], { cwd: root, stdio: 'inherit', env: { ...process.env, PORT: '3000' } });
children.push(api);
await waitForPort(3000, 10_000);
const gateway = spawn(process.execPath, ['src/main.ts', 'start', '--config', 'examples/portcullis.yaml'], { cwd: root, stdio: 'inherit' });
children.push(gateway);
process.stderr.write('demo: curl -s -X POST http://127.0.0.1:8080/login -H \'content-type: application/json\' '
  + '-d \'{"username":"alice","password":"alice-password"}\' gives a JWT; with it, GET /shops lists shop tokens for '
  + '/shops/{token}/revenue_data.json (docs/protections/identifier-cloaking.md)\n');
gateway.on('exit', (code) => { api.kill('SIGTERM'); process.exitCode = code ?? 0; });
api.on('exit', () => { if (gateway.exitCode === null) gateway.kill('SIGTERM'); });
