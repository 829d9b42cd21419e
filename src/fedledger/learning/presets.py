"""Ready-made task specs for the bundled workloads, tuned so the plain FedAvg baseline
converges reliably (digits, 10 IID clients, 10 rounds: about 0.96-0.98 test accuracy).

They are also the reference workloads of the benchmarks, so changing a default here
changes the numbers the protocol's accuracy and overhead are compared with.
"""

from __future__ import annotations

from fedledger.learning.spec import DatasetSpec, ModelSpec, OptimizerSpec, TaskSpec


def digits_mlp_spec(seed: int = 0) -> TaskSpec:
    """MLP (64-128-10) on scikit-learn's 8×8 digits, SGD with momentum, 3 local epochs.

    Tuned over seeds: SGD(lr 0.05, momentum 0.9) beat Adam(lr 3e-3) on Dirichlet(0.3)
    skew (~0.95 vs ~0.88 after 10 rounds) at equal IID accuracy (~0.96-0.98).
    """
    return TaskSpec(
        model=ModelSpec(name="mlp", kwargs={"hidden": [128]}),
        dataset=DatasetSpec(name="digits", num_features=64, num_classes=10, input_shape=(1, 8, 8)),
        metric="accuracy",
        local_epochs=3,
        batch_size=16,
        learning_rate=0.05,
        optimizer=OptimizerSpec(name="sgd", momentum=0.9),
        seed=seed,
        max_blob_bytes=1 << 20,
    )


def digits28_cnn_spec(seed: int = 0) -> TaskSpec:
    """The ~1 M-parameter CNN on digits upscaled to 28×28 (an MNIST-sized workload)."""
    return TaskSpec(
        model=ModelSpec(name="cnn", kwargs={}),
        dataset=DatasetSpec(name="digits28", num_features=784, num_classes=10, input_shape=(1, 28, 28)),
        metric="accuracy",
        local_epochs=1,
        batch_size=32,
        learning_rate=1e-3,
        optimizer=OptimizerSpec(name="adam"),
        seed=seed,
        max_blob_bytes=16 << 20,
    )
