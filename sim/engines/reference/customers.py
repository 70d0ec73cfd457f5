"""External customers: segments, their orders, how orders arrive, end, are scored, and how customers churn.

A segment is an open Poisson stream of orders, or a population of *N*
customers each ordering as a Poisson process, which is a Poisson stream at
rate N x rate_per_customer.  When *N* changes (churn, acquisition) the time to
the next order is drawn afresh at the new rate: the exponential gap is
memoryless, so this is exact.  A time-varying rate (a table of windows, or
seasonality) is sampled exactly by inverting its integrated rate
(``orgsim.kernels.demand``, the numba engine's rule).  Every order that ends is scored (the model's
satisfaction formula), counted after warm-up, and may cost the segment its
customer (the model's churn curve).
"""

from __future__ import annotations

import math

import simpy

from orgsim.kernels import demand, layout, model

# the shared formulas, plain Python (bound once: they are called for every order)
satisfaction = model.satisfaction.py_func
nps_class = model.nps_class.py_func
churns = model.churns.py_func
sojourn_bin = layout.sojourn_bin.py_func


class Order:
    """One external order on its journey."""

    __slots__ = ("id", "segment", "arrived", "patience", "waited", "opened", "escaped", "ended")

    def __init__(self, id: int, segment: Segment, arrived: float, patience: float | None):
        self.id = id
        self.segment = segment
        self.arrived = arrived
        self.patience = patience  # total queue wait tolerated, or None: never abandons
        self.waited = 0.0  # total time in department queues so far
        self.opened = 0.0  # ... of it while the department waited at was open (patience on the open clock)
        self.escaped = 0  # defects that reached the customer
        self.ended = False

    @property
    def label(self) -> str:
        return f"order #{self.id}"

    @property
    def root(self) -> Order:
        return self


class Step:
    """A journey step as it runs: its desk and where the order goes after it."""

    __slots__ = ("desk", "follow", "routes", "draws")

    def __init__(self, desk):
        self.desk = desk
        self.follow: Step | None = None  # the following step, when the step has no `next`
        self.routes: list[tuple[float, Step]] | None = None  # cumulative probabilities, with `next`
        self.draws = None

    def route(self) -> Step | None:
        """The step after this one, or None: the journey is complete."""
        if self.routes is None:
            return self.follow
        u = self.draws()
        for cumulative, step in self.routes:
            if u < cumulative:
                return step
        return None


class Segment:
    """One kind of external customer: arrivals, patience, scoring, churn, and its raw sums."""

    def __init__(self, org, name: str, index: int, spec, streams):
        self.org = org
        self.env = org.env
        self.name = name
        self.index = index
        self.spec = spec
        arrivals = spec.arrivals
        self.population = hasattr(arrivals, "population")
        self.active = arrivals.population if self.population else 0
        self.rate = arrivals.rate_per_customer if self.population else arrivals.rate
        self.gaps = streams.exponential(f"arrivals/{name}")
        self.profile = org.scenario.demand_profile(name)  # a time-varying rate (per customer), or None: constant
        self.patience = streams.of(f"patience/{name}", spec.patience) if spec.patience is not None else None
        self.open_clock = spec.patience_clock == "open"  # patience counts queue time only while the department is open
        self.churn_draws = streams.uniform(f"churn/{name}") if self.population else None
        self.recoveries = None  # complaint recovery's draws, made when first needed
        self.recovery_offered = 0  # recovery steps offered after warm-up, and won
        self.recovery_won = 0
        self._acquisitions = None
        self._streams = streams
        self.routing = streams.uniform(f"routing/{name}")
        self.first: Step | None = None
        self.process = None
        # constants of the model formulas
        self.expectation = spec.expectation
        self.sensitivity = spec.sensitivity
        self.defect_penalty = spec.defect_penalty
        self.abandon_score = spec.abandon_score
        self.value = spec.value
        churn = spec.churn
        self.churn_curve = (churn.floor, churn.ceiling, churn.midpoint, churn.steepness)
        # raw sums after warm-up (kernels/layout.py)
        self.warmup = org.warmup
        self.scale = org.scale
        self.arrivals = 0
        self.completed = 0
        self.abandoned = 0
        self.wait_sum = 0.0
        self.sojourn_sum = 0.0
        self.hist = [0] * layout.HIST_BINS
        self.score_sum = 0.0
        self.promoters = 0
        self.detractors = 0
        self.revenue = 0.0
        self.escaped = 0  # escaped defects of completed orders
        self.churned = 0
        self.active_at_warmup = self.active
        self.target = spec.service_level_target  # None: no service-level target
        self.within = 0  # completed orders whose total queue wait is within the target
        # per period, warm-up included: completed, abandoned, sojourn, score, promoters, detractors
        self.period = org.period
        self.last_period = org.n_periods - 1
        self.periods = [[0, 0, 0.0, 0.0, 0, 0] for _ in range(org.n_periods)]
        self.period_active = [0] * org.n_periods
        # every order ever arrived and ended (warm-up included): the rest is still in the system
        self.entered = 0
        self.left = 0

    @property
    def in_system(self) -> int:
        return self.entered - self.left

    def gap(self) -> float | None:
        """Time to the next order at the current rate, or None when nobody orders (before the horizon)."""
        if self.profile is not None:
            return self._varying_gap()
        rate = self.active * self.rate if self.population else self.rate
        return self.gaps() / rate if rate > 0.0 else None

    def _varying_gap(self) -> float | None:
        """The exact next order of a time-varying rate: the integrated rate inverted at an Exp(1) draw."""
        scale = self.active if self.population else 1.0
        if scale <= 0.0:
            return None
        now, p = self.env.now, self.profile
        t = demand.invert.py_func(now, self.gaps() / scale, 0, len(p.breaks), p.breaks, p.rates, p.cumulative)
        return t - now if t < math.inf else None

    def arrive(self) -> Order:
        """A new order, with its patience drawn."""
        org = self.org
        now = self.env.now
        org.orders += 1
        order = Order(org.orders, self, now, self.patience() if self.patience is not None else None)
        self.entered += 1
        if now >= self.warmup:
            self.arrivals += 1
            if org.hours is not None:
                org.hours.arrived(now)
        return order

    # ---------------------------------------------------------------- ending an order

    def complete(self, order: Order) -> float:
        """Score and count an order that went through its whole journey; returns its score."""
        now = self.env.now
        sojourn = now - order.arrived
        score = satisfaction(
            sojourn, self.expectation, self.sensitivity, order.escaped, self.defect_penalty
        )
        row = self._ended(order, now, score)
        row[0] += 1
        row[2] += sojourn
        if now >= self.warmup:
            self.completed += 1
            self.wait_sum += order.waited
            self.sojourn_sum += sojourn
            self.hist[sojourn_bin(sojourn, self.scale)] += 1
            self.revenue += self.value
            self.escaped += order.escaped
            if self.target is not None and order.waited <= self.target:
                self.within += 1
            if self.org.hours is not None:
                self.org.hours.ended(order.arrived, order.waited, True)
        return score

    def abandon(self, order: Order) -> float:
        """Count an order that gave up waiting; returns its score (the segment's abandon score)."""
        now = self.env.now
        row = self._ended(order, now, self.abandon_score)
        row[1] += 1
        if now >= self.warmup:
            self.abandoned += 1
            if self.org.hours is not None:
                self.org.hours.ended(order.arrived, order.waited, False)
        return self.abandon_score

    def _ended(self, order: Order, now: float, score: float) -> list:
        order.ended = True
        self.left += 1
        cls = nps_class(score)
        p = int(now / self.period)
        row = self.periods[p if p < self.last_period else self.last_period]
        row[3] += score
        if cls > 0:
            row[4] += 1
        elif cls < 0:
            row[5] += 1
        if now >= self.warmup:
            self.score_sum += score
            if cls > 0:
                self.promoters += 1
            elif cls < 0:
                self.detractors += 1
        if self.population:
            self.churn(score, now)
        return row

    def churn(self, score: float, now: float) -> None:
        """After an ended order its customer leaves with the model's churn probability; a detractor is first
        offered complaint recovery when the policy has it (a step queued at its service; won back, they are less
        likely to leave)."""
        if self.active <= 0:
            return
        u = self.churn_draws()
        won = False
        recovery = self.org.recovery
        if recovery is not None and nps_class(score) < 0:
            if self.recoveries is None:
                self.recoveries = self._streams.uniform(f"recovery/{self.name}")
            won = self.recoveries() < recovery.success_probability
            if now >= self.warmup:
                self.recovery_offered += 1
                self.recovery_won += won
            self.org.recover()
        if won:
            gone = u < model.recovered_churn_probability.py_func(score, *self.churn_curve, recovery.churn_factor,
                                                                 recovery.paradox)
        else:
            gone = churns(u, score, *self.churn_curve)
        if gone:
            self.active -= 1
            if now >= self.warmup:
                self.churned += 1
            tracer = self.org.tracer
            if tracer is not None:
                tracer.churn(self, score)
            self.redraw()

    # ---------------------------------------------------------------- acquisition

    def last_nps(self, p: int) -> float:
        """NPS over the orders ended in period *p* (0 if none)."""
        row = self.periods[p]
        ended = row[0] + row[1]
        return 100.0 * (row[4] - row[5]) / ended if ended else 0.0

    def acquire(self, p: int) -> int:
        """New customers at the end of period *p*: Poisson with the model's word-of-mouth mean."""
        acq = self.spec.acquisition
        mean = model.acquisition_mean.py_func(acq.rate, self.period, acq.word_of_mouth, self.last_nps(p))
        if mean <= 0.0:
            return 0
        if self._acquisitions is None:
            self._acquisitions = self._streams.rng(f"acquisition/{self.name}")
        joined = int(self._acquisitions.poisson(mean))
        if joined:
            self.active += joined
            self.redraw()
        return joined

    def redraw(self) -> None:
        """The population changed: the time to the next order is drawn afresh at the new rate."""
        if self.process is not None and self.process.is_alive:
            self.process.interrupt()


def open_arrivals(env, org, segment: Segment):
    """An open Poisson stream: every order comes from a new customer."""
    start = org.start_journey
    if segment.profile is not None:  # a time-varying rate
        while (gap := segment.gap()) is not None:
            yield env.timeout(gap)
            start(segment)
        return
    if segment.rate <= 0.0:
        return
    gaps, rate = segment.gaps, segment.rate
    while True:
        yield env.timeout(gaps() / rate)
        start(segment)


def population_arrivals(env, org, segment: Segment):
    """A population of customers ordering at N x rate_per_customer; N changes with churn and acquisition."""
    while True:
        gap = segment.gap()
        try:
            yield env.timeout(gap) if gap is not None else env.event()
        except simpy.Interrupt:
            continue  # the population changed: draw the gap again at the new rate
        org.start_journey(segment)


def scripted_arrivals(env, org, segment: Segment, times):
    """Orders at given times, besides the segment's own stream: designed arrival patterns for classes and tests."""
    for t in sorted(times):
        if t > env.now:
            yield env.timeout(t - env.now)
        org.start_journey(segment)
