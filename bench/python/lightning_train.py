"""The PyTorch Lightning contender of the training-step benchmark (workload 2).

The same step as train.py's plain loop (forward, cross-entropy, backward, SGD with lr 0.01 and
momentum 0.9, grads to none) written as Lightning users write it: a LightningModule whose
`training_step` returns the loss and whose `configure_optimizers` gives the SGD, run by
`Trainer.fit` on the CPU over a loader that yields the same batch every step. The same models,
seeds and batch as train.py, so the first loss must agree with every other contender's. Usage:
  python3 bench/python/lightning_train.py MODEL ITERS WARMUP THREADS [BUDGET_MS]   one JSON line
  python3 bench/python/lightning_train.py --serve      a hello line, then one measurement per
                                                       stdin line
A Callback times from `on_train_batch_start` of the first timed step to `on_train_batch_end` of
the last (the Trainer's own work between steps included, its start-up and teardown not), and
reads each step's loss as a number there, as the other contenders do. As in train.py the timed
steps stop early, after at least one, once they have run BUDGET_MS (the warm-up once it has run a
quarter of that): the Callback sets `trainer.should_stop`. 'iters' in the reply is the number of
steps timed.

Both packagings are accepted: `lightning` (lightning.pytorch) and `pytorch_lightning`. Where
neither imports, the hello line says why (`lightningError`) and every request is an error reply.
Nothing but the protocol's JSON lines may reach stdout: Lightning's info logs are turned off and
anything it prints during a measurement goes to stderr.
"""

import contextlib
import logging
import sys
import time

import serve
import torch
import torch.nn.functional as F
from train import MODELS

# Lightning's loggers under both packagings (the fabric ones log the device lines at start-up).
_LOGGERS = ('lightning', 'lightning.pytorch', 'lightning.fabric', 'pytorch_lightning', 'lightning_fabric')


def _import_lightning():
    """(module, None) or (None, why it is not importable)."""
    errors = []
    # Importing prints nothing today; the redirect keeps it so whatever a version does.
    with contextlib.redirect_stdout(sys.stderr):
        for name in ('lightning.pytorch', 'pytorch_lightning'):
            try:
                module = __import__(name, fromlist=['Trainer'])
            except Exception as e:  # noqa: BLE001 - any failure to import means: not available
                errors.append(f'{name}: {type(e).__name__}: {e}')
                continue
            for logger in _LOGGERS:
                logging.getLogger(logger).setLevel(logging.WARNING)
            return module, None
    return None, 'not importable (' + '; '.join(errors) + ')'


pl, LIGHTNING_ERROR = _import_lightning()


class _SameBatch:
    """An iterable of `n` times the same (x, y): the loop's data costs next to nothing, as in the
    plain loop. Its length tells Lightning the epoch's size."""

    def __init__(self, batch, n):
        self.batch = batch
        self.n = n

    def __len__(self):
        return self.n

    def __iter__(self):
        for _ in range(self.n):
            yield self.batch


def _module_class():
    class Module(pl.LightningModule):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def forward(self, x):
            return self.net(x)

        def training_step(self, batch, batch_idx):
            x, y = batch
            return F.cross_entropy(self(x), y)

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.01, momentum=0.9)

    return Module


def _timer_class():
    class Timer(pl.Callback):
        """The first step gives the first loss; then up to warmup - 1 warm-up steps (fewer once
        budget/4 has passed since the first step's end), then the timed steps: as train.py's loop."""

        def __init__(self, iters, warmup, budget_ns):
            self.iters = iters
            self.warmup = warmup
            self.budget_ns = budget_ns
            self.done = 0  # steps ended, timed or not
            self.w0 = None
            self.timing = False
            self.t0 = None
            self.steps = 0
            self.ns = 0
            self.first = None
            self.last = None
            self.threads = None

        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
            if self.timing and self.t0 is None:
                self.t0 = time.perf_counter_ns()

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            loss = outputs['loss'] if isinstance(outputs, dict) else outputs
            value = loss.item()
            now = time.perf_counter_ns()
            self.done += 1
            if self.timing:
                self.steps += 1
                self.ns = now - self.t0
                self.last = value
                if self.steps >= self.iters or self.ns >= self.budget_ns:
                    self.threads = torch.get_num_threads()
                    trainer.should_stop = True
                return
            if self.first is None:
                self.first = self.last = value
                self.w0 = now
            # The next step is timed once the warm-up has run its steps or its budget.
            self.timing = self.done >= self.warmup or now - self.w0 >= self.budget_ns / 4

    return Timer


def measure(name, iters, warmup, threads, budget_ms=float('inf')):
    if pl is None:
        return {'error': f'PyTorch Lightning {LIGHTNING_ERROR}'}
    if name not in MODELS:
        return {'error': f"unknown model '{name}'"}
    if iters < 1:
        return {'error': 'ITERS must be positive'}
    make, shape = MODELS[name]
    torch.set_num_threads(threads)
    # Weights from seed 0, then the batch from seed 1: the same numbers in every contender.
    torch.manual_seed(0)
    model = _module_class()(make())
    torch.manual_seed(1)
    x = torch.randn(shape)
    y = torch.randint(0, 10, (shape[0],))
    timer = _timer_class()(iters, max(1, warmup), budget_ms * 1e6)
    # The first step, up to warmup - 1 more, then the timed ones: the Trainer ends at max_steps
    # unless the Callback stops it first (budget spent).
    steps = max(1, warmup) + iters
    with contextlib.redirect_stdout(sys.stderr):
        trainer = pl.Trainer(
            max_steps=steps,
            max_epochs=-1,
            accelerator='cpu',
            devices=1,
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            num_sanity_val_steps=0,
            callbacks=[timer],
        )
        trainer.fit(model, train_dataloaders=_SameBatch((x, y), steps))
    if timer.steps == 0:
        return {'error': f'no step was timed ({timer.done} ran)'}
    return {
        'contender': 'lightning',
        'model': name,
        'iters': timer.steps,
        'warmup': warmup,
        # As the timed steps ended: the Trainer must not have changed what was asked.
        'threads': timer.threads,
        'msPerStep': timer.ns / 1e6 / timer.steps,
        'firstLoss': timer.first,
        'lastLoss': timer.last,
    }


def hello():
    if pl is None:
        return {'contender': 'lightning', 'lightningError': LIGHTNING_ERROR}
    return {'contender': 'lightning', 'lightning': f'{pl.__name__} {pl.__version__}'}


def main():
    return serve.main(
        'MODEL ITERS WARMUP THREADS [BUDGET_MS]',
        lambda f: measure(f[0], int(f[1]), int(f[2]), int(f[3]), float(f[4]) if len(f) == 5 else float('inf')),
        usage='mlp|lenet|resnet ITERS WARMUP THREADS [BUDGET_MS]',
        hello=hello,
    )


if __name__ == '__main__':
    sys.exit(main())
