"""bpf_redirect(ifindex, flags): send the packet to another device, if the program says so.

The helper only records the target; the redirect happens when the program
then returns the redirect verdict the helper hands back. It is one helper
with two flavours (``net/core/filter.c``):

* tc (sched_cls, sched_act): flags may only hold BPF_F_INGRESS (to the
  device's receive path instead of its transmit path), else TC_ACT_SHOT;
  the answer is TC_ACT_REDIRECT;
* XDP: flags must be 0, else XDP_ABORTED; the answer is XDP_REDIRECT.

The target goes to ``context.redirect`` (``{"ifindex", "flags"}``), which the
runner reports when the return code is the redirect verdict.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .skb import packet_context

if TYPE_CHECKING:
    from ..machine import Machine

BPF_F_INGRESS = 1
TC_ACT_SHOT, TC_ACT_REDIRECT = 2, 7
XDP_ABORTED, XDP_REDIRECT = 0, 4


def redirect(m: "Machine", ifindex: int, flags: int, *_args: int) -> int:
    context = packet_context(m)
    xdp = context.spec.name == "xdp"
    if (flags if xdp else flags & ~BPF_F_INGRESS):
        return XDP_ABORTED if xdp else TC_ACT_SHOT
    context.redirect = {"ifindex": ifindex & 0xFFFF_FFFF,
                        "flags": "" if xdp else ("ingress" if flags & BPF_F_INGRESS else "egress")}
    return XDP_REDIRECT if xdp else TC_ACT_REDIRECT
