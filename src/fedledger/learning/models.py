"""Registry of PyTorch models that a task spec names.

A spec says `{"model": {"name": "mlp", "kwargs": {"hidden": [128]}}}`; `build_model(spec)`
looks the name up here and calls the factory with the spec's dataset schema and kwargs.
Construction happens under the spec's seed, so every participant builds bit-identical
initial weights from the same spec.

Built-in models
---------------
- ``logreg``: multinomial logistic regression (one linear layer).
- ``mlp``: fully connected network; kwarg ``hidden`` (list of widths, default ``[128]``).
- ``cnn``: two conv+pool blocks and two dense layers for ``1×H×W`` (or ``C×H×W``) images;
  kwargs ``channels`` (default ``[32, 64]``) and ``hidden`` (default ``320``). On 28×28
  inputs with 10 classes the defaults give about 1.03 M parameters.

Adding your own model
---------------------
Decorate a factory (a function or an ``nn.Module`` class) taking the dataset schema as its
first argument and the spec's kwargs as keyword arguments::

    from torch import nn
    from fedledger.learning.models import register_model
    from fedledger.learning.spec import DatasetSpec

    @register_model("tiny")
    def tiny(dataset: DatasetSpec, width: int = 8) -> nn.Module:
        return nn.Sequential(nn.Linear(dataset.num_features, width), nn.ReLU(),
                             nn.Linear(width, dataset.num_classes))

The model receives flat float32 rows of ``num_features`` values and must return
``(batch, num_classes)`` logits; reshape inside the model if it needs ``input_shape``.
Registering an existing name is an error unless ``replace=True``. Every participant of a
task must have the same registration, or their models (and hashes) will differ.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import torch
from torch import nn

from fedledger.core.errors import ValidationError
from fedledger.learning.spec import DatasetSpec, TaskSpec

ModelFactory = Callable[..., nn.Module]
_F = TypeVar("_F", bound=ModelFactory)

_REGISTRY: dict[str, ModelFactory] = {}


def register_model(name: str, *, replace: bool = False) -> Callable[[_F], _F]:
    """Decorator adding a model factory to the registry under `name`."""
    if not name or not isinstance(name, str):
        raise ValidationError("a model name must be a non-empty string")

    def decorator(factory: _F) -> _F:
        if name in _REGISTRY and not replace:
            raise ValidationError(
                f"model {name!r} is already registered; pass replace=True to override it"
            )
        _REGISTRY[name] = factory
        return factory

    return decorator


def unregister_model(name: str) -> None:
    """Remove a model from the registry (for tests and plugins that clean up)."""
    _REGISTRY.pop(name, None)


def available_models() -> list[str]:
    """Names of every registered model, sorted."""
    return sorted(_REGISTRY)


def build_model(spec: TaskSpec) -> nn.Module:
    """Build the spec's model with deterministic initial weights (seeded by `spec.seed`).

    The global RNG state is saved and restored around construction, so building a model
    does not disturb any other random stream of the process.
    """
    factory = _REGISTRY.get(spec.model.name)
    if factory is None:
        raise ValidationError(
            f"model.name: unknown model {spec.model.name!r}; registered models: "
            f"{', '.join(available_models())}"
        )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(spec.seed)
        try:
            model = factory(spec.dataset, **spec.model.kwargs)
        except TypeError as exc:
            raise ValidationError(
                f"model.kwargs: model {spec.model.name!r} rejected kwargs "
                f"{sorted(spec.model.kwargs)}: {exc}"
            ) from None
        except ValueError as exc:
            raise ValidationError(f"model.kwargs: {exc}") from None
    if not isinstance(model, nn.Module):
        raise ValidationError(
            f"model.name: factory for {spec.model.name!r} returned {type(model).__name__}, "
            "not a torch.nn.Module"
        )
    return model.to(dtype=torch.float32)


def count_parameters(model: nn.Module) -> int:
    """Number of scalar parameters of a model."""
    return sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------------- built-in models
def _positive_ints(name: str, values: Any) -> list[int]:
    """Check a list-of-widths kwarg, so a typo in a spec fails with the kwarg named."""
    if isinstance(values, int):
        values = [values]
    if not isinstance(values, list) or not all(isinstance(v, int) and v >= 1 for v in values):
        raise ValueError(f"{name} must be a positive int or a list of positive ints, got {values!r}")
    return list(values)


@register_model("logreg")
def logreg(dataset: DatasetSpec) -> nn.Module:
    """Multinomial logistic regression: the smallest model, a useful sanity baseline."""
    return nn.Linear(dataset.num_features, dataset.num_classes)


@register_model("mlp")
def mlp(dataset: DatasetSpec, hidden: Any = None) -> nn.Module:
    """ReLU multi-layer perceptron over flat features."""
    widths = _positive_ints("hidden", [128] if hidden is None else hidden)
    layers: list[nn.Module] = []
    prev = dataset.num_features
    for width in widths:
        layers += [nn.Linear(prev, width), nn.ReLU()]
        prev = width
    layers.append(nn.Linear(prev, dataset.num_classes))
    return nn.Sequential(*layers)


class ChannelsLastMaxPool2d(nn.MaxPool2d):
    """`nn.MaxPool2d` run on a channels-last copy of its input, returned in the usual layout.

    The same values to the bit (a max is exact, and the layout is restored before the next
    convolution, so that one runs as before); PyTorch's CPU pooling kernel is several times
    faster on channels-last tensors once a batch holds a hundred or more images (measured on
    150 x 32 x 28 x 28: 13.5 ms against 4.0 ms). That is every voter's pass of the global model
    over the public set and every evaluation; training batches are too small to notice.
    It holds no parameters, so state dicts are unchanged."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.contiguous(memory_format=torch.channels_last)).contiguous()


class SmallCNN(nn.Module):
    """Two conv(3×3)+ReLU+maxpool(2) blocks, then a hidden dense layer and the classifier.

    No batch norm and no dropout: the state holds only float parameters, and training is
    a pure function of the seed, which keeps updates easy to validate and to re-run.
    """

    def __init__(self, dataset: DatasetSpec, channels: Any = None, hidden: int = 320) -> None:
        super().__init__()
        shape = dataset.input_shape
        if len(shape) == 2:
            shape = (1, *shape)
        if len(shape) != 3:
            raise ValueError(f"cnn needs an input_shape of [H, W] or [C, H, W], got {list(dataset.input_shape)}")
        chans = _positive_ints("channels", [32, 64] if channels is None else channels)
        if len(chans) != 2:
            raise ValueError(f"channels must list 2 widths, got {chans}")
        if not isinstance(hidden, int) or hidden < 1:
            raise ValueError(f"hidden must be a positive int, got {hidden!r}")
        c, h, w = shape
        if h < 4 or w < 4:
            raise ValueError(f"cnn needs images of at least 4×4, got {h}×{w}")
        self.input_shape = (c, h, w)
        self.features = nn.Sequential(
            nn.Conv2d(c, chans[0], kernel_size=3, padding=1),
            nn.ReLU(),
            ChannelsLastMaxPool2d(2),
            nn.Conv2d(chans[0], chans[1], kernel_size=3, padding=1),
            nn.ReLU(),
            ChannelsLastMaxPool2d(2),
        )
        flat = chans[1] * (h // 4) * (w // 4)
        self.classifier = nn.Sequential(
            nn.Linear(flat, hidden), nn.ReLU(), nn.Linear(hidden, dataset.num_classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reshape flat rows to images, then classify."""
        x = x.reshape(x.shape[0], *self.input_shape)
        return self.classifier(torch.flatten(self.features(x), 1))


register_model("cnn")(SmallCNN)
