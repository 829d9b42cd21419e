"""Model registry, custom registration, deterministic initialisation."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
import torch
from torch import nn

from fedledger.core.errors import ValidationError
from fedledger.learning.models import available_models, build_model, count_parameters, register_model, unregister_model
from fedledger.learning.presets import digits28_cnn_spec, digits_mlp_spec
from fedledger.learning.spec import DatasetSpec, ModelSpec, TaskSpec
from fedledger.learning.updates import state_to_bytes


def _with_model(spec: TaskSpec, name: str, **kwargs: object) -> TaskSpec:
    return spec.model_copy(update={"model": ModelSpec(name=name, kwargs=kwargs)})


def test_builtins_registered_and_shapes() -> None:
    assert {"logreg", "mlp", "cnn"} <= set(available_models())
    spec = digits_mlp_spec()
    for name in ("logreg", "mlp", "cnn"):
        model = build_model(_with_model(spec, name))
        assert model(torch.zeros(5, 64)).shape == (5, 10)


def test_cnn_about_one_million_parameters() -> None:
    model = build_model(digits28_cnn_spec())
    assert 0.9e6 <= count_parameters(model) <= 1.1e6
    assert model(torch.zeros(2, 784)).shape == (2, 10)


def test_deterministic_init_under_seed() -> None:
    a = build_model(digits_mlp_spec(seed=3)).state_dict()
    b = build_model(digits_mlp_spec(seed=3)).state_dict()
    c = build_model(digits_mlp_spec(seed=4)).state_dict()
    assert state_to_bytes(a) == state_to_bytes(b)
    assert state_to_bytes(a) != state_to_bytes(c)


def test_build_does_not_disturb_global_rng() -> None:
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    build_model(digits_mlp_spec())
    assert torch.equal(torch.rand(3), expected)


def test_unknown_model_and_bad_kwargs() -> None:
    spec = digits_mlp_spec()
    with pytest.raises(ValidationError, match=r"model.name: unknown model 'nope'.*mlp"):
        build_model(_with_model(spec, "nope"))
    with pytest.raises(ValidationError, match=r"model.kwargs"):
        build_model(_with_model(spec, "mlp", depth=3))
    with pytest.raises(ValidationError, match=r"model.kwargs: hidden must be"):
        build_model(_with_model(spec, "mlp", hidden=[0]))


@pytest.fixture
def tiny_registered() -> Iterator[str]:
    @register_model("test-tiny")
    def tiny(dataset: DatasetSpec, width: int = 4) -> nn.Module:
        return nn.Sequential(nn.Linear(dataset.num_features, width), nn.ReLU(), nn.Linear(width, dataset.num_classes))

    yield "test-tiny"
    unregister_model("test-tiny")


def test_custom_registration(tiny_registered: str) -> None:
    spec = _with_model(digits_mlp_spec(), tiny_registered, width=5)
    model = build_model(spec)
    assert model[0].out_features == 5
    with pytest.raises(ValidationError, match="already registered"):
        register_model(tiny_registered)(lambda dataset: nn.Identity())
    register_model(tiny_registered, replace=True)(lambda dataset: "not a module")
    with pytest.raises(ValidationError, match="not a torch.nn.Module"):
        build_model(spec.model_copy(update={"model": ModelSpec(name=tiny_registered)}))


def test_channels_last_pooling_gives_max_pool_values_and_gradients_to_the_bit() -> None:
    """The CNN pools on a channels-last copy for speed; results must not move at all."""
    from fedledger.learning.models import ChannelsLastMaxPool2d

    gen = torch.Generator().manual_seed(0)
    x = torch.relu(torch.randn(150, 32, 28, 28, generator=gen))  # ReLU first: ties at zero, as in the model
    a, b = x.clone().requires_grad_(), x.clone().requires_grad_()
    plain, fast = nn.MaxPool2d(2)(a), ChannelsLastMaxPool2d(2)(b)
    assert torch.equal(plain, fast) and fast.is_contiguous()
    upstream = torch.randn(plain.shape, generator=gen)
    plain.backward(upstream)
    fast.backward(upstream)
    assert a.grad is not None and b.grad is not None and torch.equal(a.grad, b.grad)


def test_the_cnn_trains_to_the_same_bytes_with_either_pooling(monkeypatch: pytest.MonkeyPatch) -> None:
    from fedledger.learning.data import load_dataset
    from fedledger.learning.models import ChannelsLastMaxPool2d
    from fedledger.learning.train import train_local

    spec = digits28_cnn_spec()
    data = load_dataset(spec.dataset, seed=1)
    data = data.subset(np.arange(96))
    fast, _ = train_local(None, spec, data, seed=5)
    monkeypatch.setattr(ChannelsLastMaxPool2d, "forward", nn.MaxPool2d.forward)
    plain, _ = train_local(None, spec, data, seed=5)
    assert state_to_bytes(fast) == state_to_bytes(plain)
