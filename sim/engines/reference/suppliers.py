"""External suppliers: lead times stretched by late payment.

Each delivery takes a lead-time draw times the supplier's current factor and
raises an invoice at its ``paid_by`` desk.  At each period boundary the factor
becomes ``lead_time_factor(mean payment time, terms, sensitivity)`` over the
invoices paid in the period, and is left unchanged when none was paid.
"""

from __future__ import annotations

from orgsim.kernels import model


class Supplier:
    """One external supplier as it runs."""

    def __init__(self, name: str, target: int, spec, streams, desks: dict, clock=None):
        self.name = name
        self.clock = clock  # on a calendar: its open clock (the lead time counts open time only); None: always open
        self.target = target  # index among the structure's targets (departments, then suppliers)
        self.lead = streams.of(f"lead_time/{name}", spec.lead_time)
        self.paid_by = desks[spec.paid_by] if spec.paid_by is not None else None
        self.terms = spec.payment_terms
        self.sensitivity = spec.payment_sensitivity
        self.factor = 1.0
        self.payment_sum = 0.0  # payment times of the invoices paid in the current period
        self.payments = 0
        self.late = 0.0  # time past the payment terms, over invoices paid after warm-up

    def paid(self, delay: float, counted: bool) -> None:
        """An invoice was paid *delay* after the delivery raised it (*counted*: at or after warm-up)."""
        self.payment_sum += delay
        self.payments += 1
        if counted:
            self.late += max(0.0, delay - self.terms)

    def close_period(self) -> float | None:
        """Update the lead-time factor from the period's payments; the mean payment time, or None if none."""
        if not self.payments:
            return None
        mean = self.payment_sum / self.payments
        self.factor = model.lead_time_factor.py_func(mean, self.terms, self.sensitivity)
        self.payment_sum = 0.0
        self.payments = 0
        return mean
