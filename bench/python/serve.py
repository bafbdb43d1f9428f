"""The contender side of the line protocol of bench/common.ts, shared by the Python contenders.

With --serve: one JSON hello line, then one JSON reply per stdin line, in order. Otherwise the
command line is one request and its reply the one line printed. The scripts are run as
`python3 bench/python/X.py`, which puts this folder first on sys.path: `import serve` finds this
file.
"""

import json
import os
import platform
import sys

import torch


def emit(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


def field_counts(request):
    """How many fields a request may have: all of `request`'s, or without some optional ones
    (in brackets)."""
    names = request.split()
    required = sum(1 for n in names if not n.startswith('['))
    return range(required, len(names) + 1)


def answer(line, request, measure):
    """Emits measure(fields) for a well-formed request; an exception becomes an error reply (the
    runner reports it and goes on). Returns the reply."""
    parts = line.split()
    if len(parts) not in field_counts(request):
        reply = {'error': f"expected '{request}', got {line.strip()!r}"}
    else:
        try:
            reply = measure(parts)
        except Exception as e:  # noqa: BLE001 - reported to the runner, which goes on
            reply = {'error': f'{type(e).__name__}: {e}'}
    emit(reply)
    return reply


def main(request, measure, usage=None, hello=dict, error_status=0):
    """The contender's main. `request` names the fields of a request, optional ones in brackets;
    `usage` the command-line arguments (default: `request`); `hello()` gives the hello line's fields
    beyond the versions; `error_status` is the exit status of an error reply on the command line.
    Returns the exit status."""
    args = sys.argv[1:]
    if args == ['--serve']:
        emit({
            'contender': 'python',
            'hello': True,
            'python': platform.python_version(),
            'torch': torch.__version__,
            **hello(),
        })
        for line in iter(sys.stdin.readline, ''):
            answer(line, request, measure)
        return 0
    if len(args) not in field_counts(request):
        script = os.path.basename(sys.argv[0])
        sys.stderr.write(f'usage: {script} {usage or request}, or {script} --serve\n')
        return 2
    reply = answer(' '.join(args), request, measure)
    return error_status if 'error' in reply else 0
