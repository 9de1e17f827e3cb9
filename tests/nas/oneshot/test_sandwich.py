"""The sandwich step (BigNAS): every sampled candidate's weights move, in-place distillation."""

from __future__ import annotations

import random

import pytest
import torch

from nas.oneshot.sampling import random_archs, sandwich_archs
from nas.oneshot.sandwich import sandwich_step, soft_cross_entropy
from nas.oneshot.supernet import Supernet
from tests.nas.oneshot.spaces import all_spaces, batches

SPACE = all_spaces()["mnasnet"]
STATS = ("running_mean", "running_var", "num_batches_tracked")


@pytest.fixture()
def supernet() -> Supernet:
    torch.manual_seed(0)
    return Supernet(SPACE, num_classes=4, in_channels=1)


def _weights(net: Supernet, arch) -> dict[str, torch.Tensor]:
    """The candidate's trainable weights (no BN statistics), copied."""
    net.set_active(arch)
    return {k: v.detach().clone() for k, v in net.active_state().items() if not k.endswith(STATS)}


def _batch(size: int = 8):
    images = batches(1, size=size, seed=3)[0]
    return images, torch.arange(size) % 4


def test_a_step_moves_the_weights_of_every_sampled_candidate(supernet):
    archs = sandwich_archs(SPACE, random.Random(0), 2, supernet.largest, supernet.smallest)
    before = [_weights(supernet, arch) for arch in archs]
    optimizer = torch.optim.SGD(supernet.parameters(), lr=0.1)
    result = sandwich_step(supernet, optimizer, *_batch(), archs)
    assert result.archs == archs and len(result.losses) == len(archs) == len(result.accuracies)
    for arch, old in zip(archs, before, strict=True):
        new = _weights(supernet, arch)
        unchanged = [name for name, value in old.items() if torch.equal(value, new[name])]
        assert not unchanged, f"{len(unchanged)} tensors of a sampled candidate did not move: {unchanged[:3]}"


def test_weights_no_sampled_candidate_uses_stay_unchanged(supernet):
    # conv op everywhere, and expansion 1 (or DSConv) everywhere: no MBConv expand conv runs
    archs = (supernet.largest, supernet.smallest)
    assert all(s.op == "conv" for s in archs[0].stages)
    assert all(s.expansion == 1 for s in archs[1].stages)
    expand = {k: v.detach().clone() for k, v in supernet.named_parameters() if ".mbconv.expand." in k}
    assert expand
    sandwich_step(supernet, torch.optim.SGD(supernet.parameters(), lr=0.1), *_batch(), archs)
    for name, param in supernet.named_parameters():
        if name in expand:
            assert torch.equal(param, expand[name]), name


def test_students_learn_from_the_detached_teacher_only():
    """Weights only the teacher uses get exactly the teacher's own gradient, students or not."""
    updates = []
    for archs in ("teacher", "sandwich"):
        torch.manual_seed(0)
        net = Supernet(SPACE, num_classes=4, in_channels=1)
        chosen = (net.largest,) if archs == "teacher" else (net.largest, net.smallest)
        before = {k: v.detach().clone() for k, v in net.named_parameters() if ".branches.conv." in k}
        torch.manual_seed(1)  # the teacher's dropout masks are the same in both runs
        sandwich_step(net, torch.optim.SGD(net.parameters(), lr=1.0), *_batch(), chosen)
        updates.append({k: v.detach() - before[k] for k, v in net.named_parameters() if k in before})
    teacher, sandwich = updates
    assert any(float(delta.abs().max()) > 0 for delta in teacher.values())
    for name, delta in teacher.items():
        torch.testing.assert_close(sandwich[name], delta, rtol=1e-5, atol=1e-8, msg=name)


def test_the_teacher_learns_from_labels_and_the_students_from_its_outputs(supernet):
    student = random_archs(SPACE, 1, seed=2)[0]
    images, labels = _batch()
    torch.manual_seed(0)
    result = sandwich_step(
        supernet, torch.optim.SGD(supernet.parameters(), lr=0.0), images, labels, (supernet.largest, student)
    )
    torch.manual_seed(0)
    teacher_logits = supernet(images, supernet.largest)
    student_logits = supernet(images, student, regularize=False)
    expected_teacher = torch.nn.functional.cross_entropy(teacher_logits, labels)
    expected_student = soft_cross_entropy(student_logits, teacher_logits.softmax(dim=1))
    assert result.losses[0] == pytest.approx(expected_teacher.item(), rel=1e-5)
    assert result.losses[1] == pytest.approx(expected_student.item(), rel=1e-5)


def test_soft_cross_entropy_is_cross_entropy_for_one_hot_targets():
    logits = torch.randn(5, 3)
    labels = torch.tensor([0, 2, 1, 1, 0])
    one_hot = torch.nn.functional.one_hot(labels, 3).float()
    torch.testing.assert_close(
        soft_cross_entropy(logits, one_hot), torch.nn.functional.cross_entropy(logits, labels)
    )


def _grads_after(archs, **options) -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    net = Supernet(SPACE, num_classes=4, in_channels=1)
    net.eval()  # fixed BN statistics and no dropout: the two runs compute the same function
    optimizer = torch.optim.SGD(net.parameters(), lr=0.0)
    sandwich_step(net, optimizer, *_batch(), archs, **options)
    return {k: p.grad.clone() for k, p in net.named_parameters() if p.grad is not None}


def test_an_averaged_step_takes_the_mean_of_the_candidates_gradients():
    archs = (Supernet(SPACE, 4, 1).largest, Supernet(SPACE, 4, 1).smallest)
    summed = _grads_after(archs)
    averaged = _grads_after(archs, average=True)
    assert summed.keys() == averaged.keys()
    for name, grad in summed.items():
        torch.testing.assert_close(averaged[name] * len(archs), grad, rtol=1e-5, atol=1e-7)


def test_children_learn_from_the_labels_when_distillation_is_off(supernet):
    archs = (supernet.largest, supernet.smallest)
    images, labels = _batch()
    optimizer = torch.optim.SGD(supernet.parameters(), lr=0.0)
    result = sandwich_step(supernet, optimizer, images, labels, archs, distill=0.0)
    supernet.train()  # the step's batch statistics; lr 0 left the weights as they were
    with torch.no_grad():
        expected = torch.nn.functional.cross_entropy(supernet(images, archs[1], regularize=False), labels)
    assert result.losses[1] == pytest.approx(float(expected), rel=1e-5)
