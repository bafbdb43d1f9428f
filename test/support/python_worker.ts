// The thread that talks to the Python oracle for test/support/python.ts. The test's main thread
// blocks on `signal` while this thread, whose event loop keeps running, uses the oracle's socket;
// each line it gets is posted on `port` before `signal` wakes the main thread, which takes it with
// receiveMessageOnPort. So runPython stays synchronous, and all the files of a test run share one
// Python process (test/support/python_oracle.py), which this thread starts where none answers.
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { type MessagePort, workerData } from 'node:worker_threads';

/** What the main thread gives this worker. */
export interface OracleWorkerData {
  role: 'python-oracle';
  python: string;
  script: string;
  socketPath: string;
  idleSeconds: number;
  signal: Int32Array;
  port: MessagePort;
}

/** What this worker posts: a line from the oracle, or why no more will come. */
export type OracleMessage = { kind: 'line'; line: string } | { kind: 'gone'; why: string };

// A connection that closes before its first line met a server on its way out (it exits when idle):
// connect again, a few times, rather than fail.
const RECONNECTS = 3;
// A server that goes away with a request unanswered (killed by another run's cleanup an instant
// before or after the request reached it) gets that request sent once more to a new server. Each
// request runs in a fresh __main__, so running it twice is harmless; one whose script itself kills
// the server fails on the second try, saying so.
const RESENDS = 1;

function serve({ python, script, socketPath, idleSeconds, signal, port }: OracleWorkerData): void {
  let socket: Socket | undefined;
  let connecting = false;
  let waiting: string[] = [];
  // Requests sent (or waiting to be) and not answered: at most one, runPython being synchronous.
  let unanswered = 0;
  // The request in flight (for a resend) and how many times it has been resent.
  let inFlight: string | undefined;
  let resent = 0;
  // Whether the main thread has its first message (the version, or why there is no server).
  let greeted = false;

  const post = (message: OracleMessage): void => {
    port.postMessage(message);
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  };

  // Before the first greeting the main thread waits to learn whether Python torch is there.
  const lostOrUnavailable = (why: string): void => {
    if (!greeted) {
      greeted = true;
      post({ kind: 'gone', why });
    } else lost(why);
  };

  // The server is gone: the request it had, if any, fails; none is left over for the next one.
  const lost = (why: string): void => {
    waiting = [];
    inFlight = undefined;
    if (unanswered === 0) return;
    unanswered = 0;
    post({ kind: 'gone', why });
  };

  const use = (s: Socket, reconnects: number): void => {
    let buffer = '';
    let heard = false;
    s.setEncoding('utf8');
    s.on('data', (chunk: string) => {
      heard = true;
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.startsWith('{"torch"')) {
          if (!greeted) post({ kind: 'line', line }); // the main thread's first message only
          greeted = true;
          continue;
        }
        if (unanswered > 0) unanswered--;
        inFlight = undefined;
        post({ kind: 'line', line });
      }
    });
    s.on('error', () => {}); // 'close' follows and says it
    s.on('close', () => {
      socket = undefined;
      if (!heard && reconnects > 0) open(false, reconnects - 1);
      else if (greeted && unanswered > 0 && inFlight !== undefined && buffer === '' && resent < RESENDS) {
        resent++;
        waiting = [inFlight];
        open(false);
      } else {
        const again = resent > 0 ? ', also when the request was sent again to a new one' : '';
        lostOrUnavailable(`the Python oracle at ${socketPath} closed the connection (crashed or killed)${again}`);
      }
    });
    socket = s;
    for (const request of waiting) s.write(`${request}\n`);
    waiting = [];
  };

  const open = (afterStart: boolean, reconnects = RECONNECTS): void => {
    connecting = true;
    const s = connect(socketPath);
    s.once('connect', () => {
      connecting = false;
      s.removeAllListeners('error');
      use(s, reconnects);
    });
    s.once('error', (e) => {
      if (afterStart) {
        connecting = false;
        lostOrUnavailable(`cannot connect to the Python oracle at ${socketPath}: ${e.message}`);
      } else start(reconnects);
    });
  };

  // Starts a server, detached so that it outlives this test file, and connects once it listens
  // (or once it found another one listening). Where it exits first, its stderr says why.
  const start = (reconnects: number): void => {
    const child = spawn(python, [script, socketPath, String(idleSeconds)], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let said = '';
    let stderr = '';
    let failure = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      said += chunk;
    });
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (e) => {
      failure = String(e);
    });
    child.stdout.on('end', () => {
      if (!/^(listening|taken)\n/.test(said)) return; // it is exiting: 'close' says why
      child.unref();
      child.stderr.destroy();
      open(true, reconnects);
    });
    child.on('close', (code, sig) => {
      if (/^(listening|taken)\n/.test(said)) return;
      connecting = false;
      lostOrUnavailable(failure || `${python} exited (${sig ?? code})\n${stderr.trim()}`.trim());
    });
  };

  port.on('message', (request: string) => {
    unanswered++;
    inFlight = request;
    resent = 0;
    if (socket) {
      socket.write(`${request}\n`);
      return;
    }
    // After the server went away the next request finds or starts another (whose greeting this
    // thread keeps to itself).
    waiting.push(request);
    if (!connecting) open(false);
  });
  open(false);
}

const data = workerData as OracleWorkerData | null;
// node --test also loads this file as a test file (it sits under test/); there it does nothing.
if (data?.role === 'python-oracle') serve(data);
