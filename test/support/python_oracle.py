# The Python side of test/support/python.ts: a server that imports torch once (seconds, tens of
# seconds for a CUDA build) for every test file of a run, instead of once per request. It listens
# on a Unix socket, answers one request at a time, and exits after IDLE seconds without clients.
# Each request runs as a fresh process would run it: a new __main__ module, torch's global
# settings and default generator as at start, the warning filters restored afterwards. What the
# script prints is kept and comes back with its error, if any.
#
# Protocol, one JSON object per line: on connecting the client reads {"torch": version}; it sends
# {"code": ..., "input": ...} and reads {"ok": OUTPUT} or {"error": traceback and output}.
# Started as `python_oracle.py SOCKET IDLE`; it prints "listening" (or "taken", when another
# server answers on SOCKET) and then leaves its standard streams, so its starter can go.
import contextlib
import io
import json
import math
import os
import selectors
import socket
import sys
import traceback
import types
import warnings

import torch

START_SEED = torch.initial_seed()
START_DTYPE = torch.get_default_dtype()
SCRIPT_NAME = '<test script>'


def _dec(v):
    if v == 'nan':
        return float('nan')
    if v == 'inf':
        return float('inf')
    if v == '-inf':
        return float('-inf')
    if isinstance(v, list):
        return [_dec(x) for x in v]
    if isinstance(v, dict):
        return {k: _dec(x) for k, x in v.items()}
    return v


def _enc(v):
    if isinstance(v, torch.Tensor):
        v = v.detach().cpu().tolist()
    if isinstance(v, float):
        if math.isnan(v):
            return 'nan'
        if math.isinf(v):
            return 'inf' if v > 0 else '-inf'
        return v
    if isinstance(v, (list, tuple)):
        return [_enc(x) for x in v]
    if isinstance(v, dict):
        return {k: _enc(x) for k, x in v.items()}
    return v


def _as_at_start():
    torch.set_default_dtype(START_DTYPE)
    torch.set_num_threads(1)
    torch.manual_seed(START_SEED)
    torch.set_grad_enabled(True)
    torch.set_printoptions(profile='default')
    if torch.is_anomaly_enabled():
        torch.autograd.set_detect_anomaly(False)
    # Its first call costs seconds (it imports the compiler's configuration): only when needed.
    if torch.are_deterministic_algorithms_enabled():
        torch.use_deterministic_algorithms(False)


def _run(code, value):
    # A module of its own, registered as __main__, so that pickle finds the classes it defines.
    main = types.ModuleType('__main__')
    main.__dict__.update(json=json, sys=sys, math=math, torch=torch, INPUT=_dec(value), OUTPUT=None)
    sys.modules['__main__'] = main
    _as_at_start()
    printed = io.StringIO()
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            exec(compile(code, SCRIPT_NAME, 'exec'), main.__dict__)
        return {'ok': _enc(main.__dict__['OUTPUT'])}
    except BaseException as e:  # SystemExit and KeyboardInterrupt in a script are its failures too
        return {'error': _failure(e) + printed.getvalue()}


def _failure(e):
    # From the script's own frames on: the server's two frames above them say nothing.
    tb = e.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != SCRIPT_NAME:
        tb = tb.tb_next
    return ''.join(traceback.format_exception(type(e), e, tb or e.__traceback__))


def _line(message):
    return (json.dumps(message) + '\n').encode()


def _listen(path):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(path)
    except OSError:
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(path)
            return None, None  # another server is there
        except OSError:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)  # left by a server that was killed
            server.bind(path)
        finally:
            probe.close()
    server.listen()
    return server, os.stat(path).st_ino


def _serve(server, path, inode, idle):
    selector = selectors.DefaultSelector()
    selector.register(server, selectors.EVENT_READ)
    pending = {}  # client socket -> bytes received and not yet a whole line
    while True:
        events = selector.select(None if pending else idle)
        if not events and not pending:
            break
        for key, _ in events:
            if key.fileobj is server:
                client, _ = server.accept()
                try:
                    client.sendall(_line({'torch': torch.__version__}))
                except OSError:  # gone already: another server's probe, say
                    client.close()
                    continue
                pending[client] = b''
                selector.register(client, selectors.EVENT_READ)
                continue
            client = key.fileobj
            try:
                data = client.recv(1 << 20)
            except OSError:
                data = b''
            if not data:
                selector.unregister(client)
                del pending[client]
                client.close()
                continue
            pending[client] += data
            *lines, pending[client] = pending[client].split(b'\n')
            for line in lines:
                request = json.loads(line)
                try:
                    reply = _line(_run(request['code'], request['input']))
                except (TypeError, ValueError) as e:
                    reply = _line({'error': f'OUTPUT cannot be sent as JSON: {e}'})
                try:
                    client.sendall(reply)
                except OSError:
                    break  # the client went away; its end shows up as a read of b''
    # Only our own socket: one that replaced it (ours taken for a dead server's) stays.
    with contextlib.suppress(OSError):
        if os.stat(path).st_ino == inode:
            os.unlink(path)


def main():
    path, idle = sys.argv[1], float(sys.argv[2])
    server, inode = _listen(path)
    print('listening' if server else 'taken', flush=True)
    # The starter stops reading once it knows: later output would hit a closed pipe.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    if server:
        _serve(server, path, inode, idle)


main()
