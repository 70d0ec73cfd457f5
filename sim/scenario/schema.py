"""The scenario vocabulary, defined once.

Every field a scenario file may hold is declared here, with its default and,
where the default comes from the literature, the source (see the README's
"Model" section).  Both engines, the CLI, the JSON Schema and the reports read
these frozen, typed objects; unknown keys are errors.  Checks that span fields
(references, acyclic needs, routing sums, stability) live in
``orgsim.scenario.checks`` so that they can report every problem at once.
"""

from __future__ import annotations

import datetime
import math
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    WrapValidator,
    field_validator,
    model_serializer,
    model_validator,
)

from orgsim.scenario import calendar, shifts

IDENTIFIER = r"^[a-z][a-z0-9_]*$"
SERVICE_REF = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"

Identifier = Annotated[str, Field(pattern=IDENTIFIER)]
ServiceRef = Annotated[str, Field(pattern=SERVICE_REF, description="`department.service`")]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
PositiveFloat = Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
NonNegativeFloat = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]


class Frozen(BaseModel):
    """Base of every scenario part: immutable, strict about unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    #: fields added after scenarios were first saved: left out of the dump while at their default, so a scenario
    #: that does not use them dumps (and hashes) exactly as before
    DUMPED_WHEN_SET: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _left_out_at_default(self, handler):
        data = handler(self)
        for key in self.DUMPED_WHEN_SET:
            if getattr(self, key) == type(self).model_fields[key].default:
                data.pop(key, None)
        return data


# --------------------------------------------------------------------------- distributions


class Exponential(Frozen):
    """Exponential with the given mean (cv = 1)."""

    dist: Literal["exponential"] = Field(description="names the distribution")
    mean: PositiveFloat = Field(description="mean time")

    def moments(self) -> tuple[float, float]:
        return self.mean, 1.0


class Deterministic(Frozen):
    """A constant time."""

    dist: Literal["deterministic"] = Field(description="names the distribution")
    value: NonNegativeFloat = Field(description="the time, every time")

    def moments(self) -> tuple[float, float]:
        return self.value, 0.0


class Gamma(Frozen):
    """Gamma with the given mean and coefficient of variation."""

    dist: Literal["gamma"] = Field(description="names the distribution")
    mean: PositiveFloat = Field(description="mean time")
    cv: PositiveFloat = Field(description="coefficient of variation: standard deviation / mean")

    def moments(self) -> tuple[float, float]:
        return self.mean, self.cv**2


class Lognormal(Frozen):
    """Lognormal with the given mean and cv; call-centre service times are lognormal (Brown et al. 2005)."""

    dist: Literal["lognormal"] = Field(description="names the distribution")
    mean: PositiveFloat = Field(description="mean time")
    cv: PositiveFloat = Field(description="coefficient of variation: standard deviation / mean")

    def moments(self) -> tuple[float, float]:
        return self.mean, self.cv**2


class Erlang(Frozen):
    """Erlang-k with the given mean (sum of k exponential phases)."""

    dist: Literal["erlang"] = Field(description="names the distribution")
    mean: PositiveFloat = Field(description="mean time")
    k: Annotated[int, Field(strict=True, ge=1, le=1000)] = Field(description="number of exponential phases (cv = 1 / sqrt(k))")

    def moments(self) -> tuple[float, float]:
        return self.mean, 1.0 / self.k


class Uniform(Frozen):
    """Uniform on [low, high]."""

    dist: Literal["uniform"] = Field(description="names the distribution")
    low: NonNegativeFloat = Field(description="shortest time")
    high: NonNegativeFloat = Field(description="longest time")

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError(f"high must be >= low (got low={self.low}, high={self.high})")
        return self

    def moments(self) -> tuple[float, float]:
        mean = (self.low + self.high) / 2
        var = (self.high - self.low) ** 2 / 12
        return mean, (var / mean**2 if mean > 0 else 0.0)


class Triangular(Frozen):
    """Triangular on [low, high] with the given mode."""

    dist: Literal["triangular"] = Field(description="names the distribution")
    low: NonNegativeFloat = Field(description="shortest time")
    mode: NonNegativeFloat = Field(description="most likely time")
    high: NonNegativeFloat = Field(description="longest time")

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high):
            raise ValueError(
                f"need low <= mode <= high (got low={self.low}, mode={self.mode}, high={self.high})"
            )
        return self

    def moments(self) -> tuple[float, float]:
        a, c, b = self.low, self.mode, self.high
        mean = (a + b + c) / 3
        var = (a * a + b * b + c * c - a * b - a * c - b * c) / 18
        return mean, (var / mean**2 if mean > 0 else 0.0)


DISTRIBUTIONS = {
    cls.model_fields["dist"].annotation.__args__[0]: cls
    for cls in (Exponential, Deterministic, Gamma, Lognormal, Erlang, Uniform, Triangular)
}

Distribution = Annotated[
    Union[tuple(Annotated[cls, Tag(name)] for name, cls in DISTRIBUTIONS.items())],  # noqa: UP007 (built at run time)
    Discriminator(lambda v: v.get("dist") if isinstance(v, dict) else getattr(v, "dist", None)),
]


def mean_of(dist: Any) -> float:
    """Mean of a distribution model (0 when absent)."""
    return 0.0 if dist is None else dist.moments()[0]


# --------------------------------------------------------------------------- departments


class Need(Frozen):
    """An internal customer's sub-request: to another department's service, or to an external supplier.

    Fires independently with *probability* before the item is served; the item
    waits for every fired need (fork–join).  With *hold* the item first takes an
    employee of its own department and keeps them blocked while it waits.
    """

    service: ServiceRef | None = Field(None, description="supplier service `department.service`")
    supplier: Identifier | None = Field(None, description="external supplier name")
    probability: Probability = Field(1.0, description="chance the need fires per visit")
    hold: bool = Field(False, description="keep one own employee blocked while waiting")

    @model_validator(mode="after")
    def _one_target(self) -> Need:
        if (self.service is None) == (self.supplier is None):
            raise ValueError("a need names exactly one of `service` or `supplier`")
        return self

    @property
    def target(self) -> str:
        return self.service if self.service is not None else self.supplier


class Service(Frozen):
    """One kind of work a department does."""

    time: Distribution = Field(description="work time at skill 1")
    defect_rate: Probability = Field(0.0, description="chance a completed service is defective (scaled by morale)")
    detection: Probability = Field(
        0.9, description="chance the next internal customer catches a defect, so the work is redone"
    )
    needs: tuple[Need, ...] = Field((), description="sub-requests fired before service")
    activity: str | None = Field(
        None, min_length=1, max_length=200,
        description="the activity name this service's events carry in a simulated event log, and under which "
                    "`score` compares them with a real log (default: the service's own name); several services "
                    "may carry one name (e.g. repeat visits of one activity)")
    DUMPED_WHEN_SET = ("activity",)


Heads = Annotated[int, Field(strict=True, ge=0, le=100_000)]


class Shift(Frozen):
    """A shift: *headcount* employees on duty while the named calendar is open."""

    calendar: Identifier = Field(description="name of a calendar under `calendars`")
    headcount: Heads = Field(description="employees of this shift")


def _heads_or_shifts(schema: dict) -> None:
    """JSON Schema: a department writes `headcount` or `shifts`, exactly one of them."""
    schema["required"] = [k for k in schema.get("required", []) if k != "headcount"]
    schema["oneOf"] = [{"required": ["headcount"]}, {"required": ["shifts"]}]


class Department(Frozen):
    """A department: identical employees sharing one queue, on duty always, by a calendar, or in shifts."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_heads_or_shifts)

    headcount: Heads = Field(description="employees (fixed allocation); with `shifts`: their sum, not written")
    skill: Annotated[float, Field(ge=0.001, le=1000)] = Field(1.0, description="service time is divided by skill")
    challenge_effect: NonNegativeFloat = Field(
        0.0, description="with morale on, morale lost per unit of unblocked utilisation (u - b) short of "
        "morale.utilisation_threshold: workload is a challenge demand that raises engagement (Crawford, LePine & Rich "
        "2010), so baseline is the morale of work up to the threshold; 0: load below the threshold does not matter "
        "(for a department whose measured load is not its challenge, e.g. one that fills the rest with work not modelled)"
    )
    services: dict[Identifier, Service] = Field(min_length=1, description="the kinds of work it does, by name")
    calendar: Identifier | None = Field(None, description="name of a calendar: the department works only while it is open")
    shifts: tuple[Shift, ...] | None = Field(
        None, min_length=1, description="shifts, each a calendar and a headcount (then no `headcount`, no `calendar`)")

    @model_validator(mode="before")
    @classmethod
    def _heads_of_shifts(cls, data: Any) -> Any:
        """With shifts, the department's headcount (for budgets and policies) is their sum."""
        if not isinstance(data, dict) or data.get("shifts") is None:
            return data
        for key in ("headcount", "calendar"):
            if key in data:
                raise ValueError(f"`{key}` and `shifts` exclude each other: a department with shifts takes its "
                                 "headcount and calendars from them (`shifts: [{calendar: NAME, headcount: N}, ...]`)")
        shifts = data["shifts"]
        heads = [s.get("headcount") if isinstance(s, dict) else getattr(s, "headcount", None)
                 for s in (shifts if isinstance(shifts, (list, tuple)) else [])]
        if heads and all(type(h) is int for h in heads):
            data = {**data, "headcount": sum(heads)}
        return data

    DUMPED_WHEN_SET = ("calendar", "shifts", "challenge_effect")

    @model_serializer(mode="wrap")
    def _unused_left_out(self, handler):
        data = Frozen._left_out_at_default(self, handler)
        if self.shifts is not None:
            data.pop("headcount", None)  # the shifts' sum, not written
        return data

    @property
    def rostered(self) -> bool:
        """Whether the department works by a calendar or in shifts (not around the clock)."""
        return self.calendar is not None or self.shifts is not None


# --------------------------------------------------------------------------- external customers


class Step(Frozen):
    """A journey step; without `next` the item moves to the following step (or completes after the last)."""

    service: ServiceRef
    next: dict[ServiceRef, Probability] | None = Field(
        None, description="routing to steps of the same journey; the remainder completes"
    )


def _step_from_string(value: Any) -> Any:
    return {"service": value} if isinstance(value, str) else value


JourneyStep = Annotated[Step, Field(json_schema_extra={"anyOf": [{"type": "string"}]})]


def _window(text: str) -> str:
    calendar.parse_window(text)
    return text


def _disjoint(windows):
    if not windows:
        raise ValueError("needs at least one window `DAYS HH:MM-HH:MM`")
    calendar.check_disjoint(windows)
    return windows


Window = Annotated[str, AfterValidator(_window), Field(
    description="`DAYS HH:MM-HH:MM`: DAYS is mon..sun, a range like mon-fri, or daily; 24:00 ends a day")]
RateTable = Annotated[dict[Window, NonNegativeFloat], Field(
    description="rate in each window (0 elsewhere), e.g. {\"mon-fri 08:00-12:00\": 6.0}"),
    AfterValidator(_disjoint)]
Rate = Annotated[
    Annotated[NonNegativeFloat, Tag("number")] | Annotated[RateTable, Tag("table")],
    Discriminator(lambda v: "table" if isinstance(v, dict) else "number"),
]
Seasonality = dict[Literal[calendar.MONTHS], NonNegativeFloat]


def _written(value: Any) -> Any:
    """A date or date-time YAML read as such (unquoted `2025-12-25`) back to the text the format uses."""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if value.second == 0 and value.microsecond == 0 else str(value)
    return value.isoformat() if isinstance(value, datetime.date) else value


def _date(text: str) -> str:
    calendar.parse_date(text)
    return text


Calendar = Annotated[tuple[Window, ...], AfterValidator(_disjoint)]
Since = Annotated[str, BeforeValidator(_written), AfterValidator(_date), Field(
    description="`YYYY-MM-DD`: the first day this holds (after the clock's start day)")]


class Dated(Frozen):
    """A change that holds from a date on (until the next one); `from` is its key in files."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_alias=True, validate_by_name=False,
                              serialize_by_alias=True)

    since: Since = Field(alias="from")


def _ascending(changes):
    """Changes in date order, one per date: two on one day, or out of order, would leave which holds unclear."""
    if not changes:
        raise ValueError("needs at least one change {from: YYYY-MM-DD, ...} (or leave `changes` out)")
    for before, after in zip(changes, changes[1:]):
        if calendar.parse_date(after.since) <= calendar.parse_date(before.since):
            raise ValueError(f"changes must be in date order, one per date: `{after.since}` follows `{before.since}`")
    return changes


class HoursChange(Dated):
    """From a date on, a calendar's weekly hours are these."""

    hours: Calendar = Field(description="the weekly windows from that day on")


class DatedCalendar(Frozen):
    """A calendar whose weekly hours change on dates: `hours` until the first change, then each change's hours."""

    hours: Calendar = Field(description="the weekly windows until the first change")
    changes: Annotated[tuple[HoursChange, ...], AfterValidator(_ascending)] = Field(
        description="[{from: YYYY-MM-DD, hours: [windows]}, ...] in date order")

    def dated(self) -> tuple:
        """The changes as (date, windows) pairs, for ``shifts.schedule``."""
        return tuple((calendar.parse_date(c.since), c.hours) for c in self.changes)


CalendarSpec = Annotated[
    Annotated[Calendar, Tag("plain")] | Annotated[DatedCalendar, Tag("dated")],
    Discriminator(lambda v: "dated" if isinstance(v, (dict, DatedCalendar)) else "plain"),
    Field(description="a list of weekly windows, or {hours: [windows], changes: [{from: date, hours: [windows]}]}"),
]


class RateChange(Dated):
    """From a date on, an arrival rate table is this one."""

    rate: RateTable = Field(description="the rate in each window from that day on")


class Demand(Frozen):
    """What arrivals of every kind share: monthly seasonality, and leaving it out of dumps when unused."""

    seasonality: Seasonality | None = Field(
        None, description="monthly rate multipliers, e.g. {dec: 1.4, jan: 0.8} (other months 1); needs `clock`")
    changes: Annotated[tuple[RateChange, ...], AfterValidator(_ascending)] = Field(
        (), description="a rate table's dated changes, [{from: YYYY-MM-DD, rate: {window: rate}}, ...] in date "
        "order; need `clock` and a rate table")

    DUMPED_WHEN_SET = ("seasonality", "changes")

    def dated(self) -> tuple:
        """The changes as (date, table) pairs, for ``calendar.profile``."""
        return tuple((calendar.parse_date(c.since), c.rate) for c in self.changes)

    @property
    def varies(self) -> bool:
        """Whether the rate changes with time (a table, or seasonality)."""
        return self.seasonality is not None or isinstance(self.per_order_rate, dict)


class OpenArrivals(Demand):
    """An open Poisson stream: every order comes from a new customer."""

    rate: Rate = Field(description="orders per time unit: a number, or a table of windows")

    @property
    def per_order_rate(self):
        return self.rate


class PopulationArrivals(Demand):
    """A population of customers, each ordering as a Poisson process; they can churn and be acquired."""

    population: Annotated[int, Field(strict=True, ge=0, le=10_000_000)] = Field(description="active customers at the start")
    rate_per_customer: Rate = Field(description="orders per customer per time unit: a number, or a table of windows")

    @property
    def per_order_rate(self):
        return self.rate_per_customer


Arrivals = Annotated[
    Annotated[OpenArrivals, Tag("open")] | Annotated[PopulationArrivals, Tag("population")],
    Discriminator(
        lambda v: ("population" if "population" in v else "open")
        if isinstance(v, dict)
        else ("population" if isinstance(v, PopulationArrivals) else "open")
    ),
]


class Churn(Frozen):
    """Logistic churn after each ended order: floor + (ceiling - floor) / (1 + exp(steepness * (s - midpoint))).

    High for detractors, low for promoters, top-box dominated: with the
    defaults a customer scoring 10 is about 5x less likely to leave than one
    scoring 8 (Xerox's 6x, Heskett et al. 1994; Jones & Sasser 1995).
    """

    ceiling: Probability = Field(0.30, description="churn probability of a customer scoring 0")
    floor: Probability = Field(0.005, description="churn probability of a delighted customer")
    midpoint: Annotated[float, Field(ge=0, le=10)] = Field(6.5, description="score at mid-way churn (NPS detractor edge)")
    steepness: PositiveFloat = Field(1.5, description="logistic slope per score point")


class Acquisition(Frozen):
    """New customers each period: Poisson(rate * period * max(0, 1 + word_of_mouth * NPS_last / 100))."""

    rate: NonNegativeFloat = Field(0.0, description="new customers per time unit at NPS 0")
    word_of_mouth: NonNegativeFloat = Field(
        0.5, description="relative change of acquisition per 100 NPS points (Reichheld 2003)"
    )


class Segment(Frozen):
    """External customers of one kind: how they arrive, what they go through, what they expect and pay."""

    arrivals: Arrivals = Field(description="an open stream (`rate`) or a population (`population`, `rate_per_customer`)")
    journey: tuple[JourneyStep, ...] = Field(min_length=1, description="the steps of an order, in order")
    patience: Distribution | None = Field(None, description="total queue wait tolerated before abandoning")
    patience_clock: Literal["wall", "open"] = Field(
        "wall", description="`wall`: patience counts every moment queued; `open`: only queued moments while the "
        "department waited at is open (scheduled headcount above 0), e.g. e-mails that nobody expects answered at night")
    expectation: PositiveFloat = Field(description="lead time the customer expects")
    value: NonNegativeFloat = Field(0.0, description="revenue per completed order")
    sensitivity: PositiveFloat = Field(
        0.5, description="k in s = 10 exp(-k max(0, T/E - 1)); waits judged relative to expectation (Maister 1985)"
    )
    defect_penalty: NonNegativeFloat = Field(3.0, description="score points lost per escaped defect")
    abandon_score: Annotated[float, Field(ge=0, le=10)] = Field(0.0, description="score of an abandoned order")
    churn: Churn = Churn()
    acquisition: Acquisition = Acquisition()
    service_level_target: NonNegativeFloat | None = Field(
        None, description="a queue wait (time units): the service level is the share of ended orders served within it")

    DUMPED_WHEN_SET = ("service_level_target", "patience_clock")

    @field_validator("journey", mode="before")
    @classmethod
    def _steps(cls, value: Any) -> Any:
        return [_step_from_string(v) for v in value] if isinstance(value, list | tuple) else value


# --------------------------------------------------------------------------- suppliers, morale, policy


class Supplier(Frozen):
    """An external supplier; each delivery raises an invoice handled by `paid_by`.

    Slow payment lengthens lead time: each period the lead time is multiplied
    by 1 + payment_sensitivity * max(0, mean payment time / payment_terms - 1).
    """

    lead_time: Distribution = Field(description="time from request to delivery, before the late-payment stretch")
    paid_by: ServiceRef | None = Field(None, description="service that pays each invoice")
    payment_terms: PositiveFloat = Field(40.0, description="payment time the supplier accepts")
    payment_sensitivity: NonNegativeFloat = Field(0.5, description="lead-time stretch per unit of late ratio")
    calendar: Identifier | None = Field(
        None, description="name of a calendar: the supplier works only while it is open, so its lead time counts "
        "only open time")

    DUMPED_WHEN_SET = ("calendar",)


class Morale(Frozen):
    """Per-department morale in [0, 1], updated each period (see the README's Model section).

    target = baseline - load_effect * max(0, u - utilisation_threshold) - blocked_effect * b
             - challenge_effect * max(0, utilisation_threshold - (u - b))   (the department's challenge_effect)
    morale += adjust_rate * (target - morale)
    Effects, each neutral at baseline: speed x (1 + productivity_effect * (m - baseline));
    defect rate x exp(defect_effect * (baseline - m)); attrition hazard per employee
    per period attrition_rate * exp(attrition_effect * (baseline - m)).
    """

    enabled: bool = Field(False, description="off: morale stays at baseline, nobody leaves, its effects are neutral")
    baseline: Probability = Field(0.75, description="morale with no stress; effects are neutral here")
    initial: Probability | None = Field(None, description="morale at t=0 (default: baseline)")
    adjust_rate: Probability = Field(0.3, description="share of the gap closed each period (lagged, Koys 2001)")
    utilisation_threshold: Probability = Field(
        0.85, description="utilisation above which load hurts morale (tipping near 0.92, Kuntz et al. 2015)"
    )
    load_effect: NonNegativeFloat = Field(2.0, description="morale lost per unit of utilisation above threshold")
    blocked_effect: NonNegativeFloat = Field(1.0, description="morale lost per unit of blocked share")
    productivity_effect: NonNegativeFloat = Field(
        0.4, description="relative speed change per unit of morale (Harter et al. 2002, r=.20 with productivity)"
    )
    defect_effect: NonNegativeFloat = Field(2.0, description="log defect multiplier per unit of morale lost")
    attrition_rate: NonNegativeFloat = Field(0.01, description="leaving hazard per employee per period at baseline")
    attrition_effect: NonNegativeFloat = Field(
        4.0, description="log attrition multiplier per unit of morale lost (Swider & Zimmerman 2010)"
    )
    hiring_delay: NonNegativeFloat = Field(80.0, description="time to replace a leaver")
    newcomer_speed: Annotated[float, Field(gt=0, le=1)] = Field(
        1.0, description="work speed of a leaver's post, relative, for ramp_periods periods from the leaving: the "
        "vacancy's disruption, then the replacement learning the job (1: turnover costs no speed)"
    )
    ramp_periods: Annotated[int, Field(strict=True, ge=0, le=10_000)] = Field(
        0, description="periods a leaver's post works at newcomer_speed, counted from the boundary the leaver is drawn at"
    )

    @model_serializer(mode="wrap")
    def _defaults_left_out(self, handler):
        data = handler(self)
        if self.ramp_periods == 0:  # turnover costing no speed: morale dumps as before
            data.pop("newcomer_speed", None)
            data.pop("ramp_periods", None)
        return data

    @property
    def start(self) -> float:
        return self.baseline if self.initial is None else self.initial


class Review(Frozen):
    """Periodic review: every `every` periods management moves one employee from the least to the most
    utilised department (by the period just closed), if their utilisations differ by more than `threshold`.
    The mover leaves the donor when next free and starts in the receiver after `transfer_delay`; departments
    on a calendar or in shifts give and take slots instead (README "Policies")."""

    every: Annotated[int, Field(strict=True, ge=1, le=10_000)] = Field(description="periods between reviews")
    transfer_delay: NonNegativeFloat = Field(
        40.0, description="time between leaving one department (on a calendar or in shifts: the review) and starting in the other")
    threshold: Probability = Field(0.1, description="least utilisation gap that triggers a move")


class Investments(Frozen):
    """Budget spent on the organisation instead of heads, in headcount-equivalents; effects grow with the
    invested share x of the budget (see the README's Model section)."""

    training: Annotated[int, Field(strict=True, ge=0)] = Field(0, description="heads' worth spent on training: skill rises over time")
    recognition: Annotated[int, Field(strict=True, ge=0)] = Field(0, description="heads' worth spent on recognition: raises morale")
    tooling: Annotated[int, Field(strict=True, ge=0)] = Field(
        0, description="heads' worth spent on tooling: shorter handoffs, fewer defects"
    )
    training_effect: NonNegativeFloat = Field(3.0, description="eventual skill gain per unit of budget share")
    training_lag: PositiveFloat = Field(500.0, description="time constant of skill growth")
    recognition_effect: NonNegativeFloat = Field(2.0, description="morale target lift per unit of budget share")
    tooling_effect: NonNegativeFloat = Field(5.0, description="log reduction of handoff time and defect rate per unit share")
    communication: Annotated[int, Field(strict=True, ge=0)] = Field(
        0, description="heads' worth spent on communication (meetings, information sharing): takes working time; "
        "shorter handoffs, fewer defects, fewer missed detections"
    )
    feedback: Annotated[int, Field(strict=True, ge=0)] = Field(
        0, description="heads' worth spent on sharing external feedback: last period's NPS, when positive, lifts "
        "every morale target"
    )
    improvement: Annotated[int, Field(strict=True, ge=0)] = Field(
        0, description="heads' worth spent on continuous improvement: defect rates fall along a learning curve"
    )
    recovery: Annotated[int, Field(strict=True, ge=0)] = Field(
        0, description="heads' worth spent on complaint recovery (the programme `policy.recovery` describes)"
    )
    role_clarity: Annotated[int, Field(strict=True, ge=0)] = Field(
        0, description="heads' worth spent on role clarity (who does what between departments, written down): "
        "requests from other departments take less of the supplier's time to clarify"
    )
    communication_time: NonNegativeFloat = Field(
        1.0, description="share of working time spent in meetings per unit of budget share (capped at 0.5)"
    )
    communication_effect: NonNegativeFloat = Field(
        3.0, description="log reduction of handoff time, defect rate and missed detections per unit share"
    )
    feedback_effect: NonNegativeFloat = Field(
        2.0, description="morale target lift per unit of budget share at NPS 100 (none at NPS 0 or below)"
    )
    feedback_priority: Annotated[float, Field(ge=-100, le=100)] | None = Field(
        None, description="with feedback and policy.priority fifo: after a period whose NPS fell below this level, "
        "internal work queued in the next period goes behind external work"
    )
    improvement_effect: NonNegativeFloat = Field(
        5.0, description="learning-curve exponent per unit of budget share (Wright 1936)"
    )
    improvement_scale: PositiveFloat = Field(
        1000.0, description="completed services of a service after which its defect rate has fallen by 2^-exponent"
    )
    role_clarity_effect: NonNegativeFloat = Field(
        3.0, description="log reduction of the work time of internal requests (sub-requests) per unit share"
    )

    DUMPED_WHEN_SET = ("communication", "feedback", "improvement", "recovery", "communication_time",
                       "communication_effect", "feedback_effect", "feedback_priority", "improvement_effect",
                       "improvement_scale", "role_clarity", "role_clarity_effect")

    @property
    def total(self) -> int:
        return (self.training + self.recognition + self.tooling + self.communication + self.feedback + self.improvement
                + self.recovery + self.role_clarity)


# the newer levers' fields and their defaults: left out of a dump while at their default


class Recovery(Frozen):
    """Complaint recovery: a detractor of a population segment is offered a recovery step, work at `service`
    (internal work nobody waits for); when it succeeds the customer is less likely to leave."""

    service: ServiceRef = Field(description="`department.service` that does the recovery work")
    success_probability: Probability = Field(0.5, description="chance a recovery step wins the customer back")
    churn_factor: Probability = Field(
        0.5, description="multiplies a recovered customer's churn probability (at their own score)"
    )
    paradox: bool = Field(
        False, description="service-recovery paradox: a recovered customer churns like one who scored 10, times "
        "churn_factor (off by default: de Matos et al. 2007 find it for satisfaction, not for loyalty)"
    )


ALLOCATIONS = ("fixed", "front_line_first", "proportional_load", "sqrt_staffing", "utilisation_target", "optimised")
PRIORITIES = ("fifo", "external_first", "internal_first")  # non-preemptive queue orders (kernels/compile.py codes them)


class Policy(Frozen):
    """How headcount is allocated under a budget and how shared queues are ordered (see ``orgsim.policies``)."""

    allocation: Literal[ALLOCATIONS] = Field("fixed", description="headcount allocation rule")
    priority: Literal[PRIORITIES] = Field(
        "fifo", description="non-preemptive queue order between external journey work and internal sub-requests"
    )
    budget: Annotated[int, Field(strict=True, ge=0, le=1_000_000)] | None = Field(
        None, description="total headcount for allocation policies (default: the scenario's total headcount)"
    )
    min_per_department: Annotated[int, Field(strict=True, ge=0)] = Field(1, description="least headcount any department gets")
    beta: NonNegativeFloat = Field(
        1.0, description="sqrt_staffing safety factor: load + beta x sqrt(load) (Halfin & Whitt 1981)"
    )
    target_utilisation: Annotated[float, Field(gt=0, lt=1)] = Field(
        0.8, description="utilisation_target: staff every department to at most this utilisation"
    )
    objective: str = Field("external.nps", description="metric the `optimised` allocation improves")
    review: Review | None = Field(None, description="periodic re-allocation of staff")
    investments: Investments = Investments()
    recovery: Recovery | None = Field(None, description="complaint recovery's step (needs investments.recovery)")

    @model_serializer(mode="wrap")
    def _unused_left_out(self, handler):
        data = handler(self)
        if self.recovery is None:
            data.pop("recovery", None)  # policies without complaint recovery dump as before
        return data

    @model_validator(mode="after")
    def _recovery_paid_for(self) -> Policy:
        if (self.recovery is None) != (self.investments.recovery == 0):
            raise ValueError("complaint recovery needs both policy.recovery (its step) and investments.recovery > 0 "
                             "(its cost in heads)")
        return self

    @model_validator(mode="after")
    def _feedback_priority_needs(self) -> Policy:
        if self.investments.feedback_priority is None:
            return self
        if self.investments.feedback == 0:
            raise ValueError("investments.feedback_priority needs investments.feedback > 0 (feedback is not shared)")
        if self.priority != "fifo":
            raise ValueError(f"investments.feedback_priority needs priority fifo (got {self.priority}): it switches "
                             "between fifo and external_first by last period's NPS")
        return self

    @property
    def feedback_priority(self) -> float | None:
        """NPS level below which shared feedback puts external work first in the next period (None: never)."""
        return self.investments.feedback_priority

    def share(self, heads: int) -> float:
        """Share of the budget that *heads* headcount-equivalents are (0 without a budget)."""
        return heads / self.budget if self.budget else 0.0

    @property
    def morale_lift(self) -> float:
        """Lift of every department's morale target bought by recognition."""
        return self.investments.recognition_effect * self.share(self.investments.recognition)

    @property
    def training_share(self) -> float:
        return self.share(self.investments.training)

    @property
    def meeting_share(self) -> float:
        """Share of every employee's working time that communication puts into meetings."""
        return min(0.5, self.investments.communication_time * self.share(self.investments.communication))

    @property
    def feedback_weight(self) -> float:
        """Morale target lift that shared feedback gives at NPS 100 (it scales with NPS_last / 100)."""
        return self.investments.feedback_effect * self.share(self.investments.feedback)

    @property
    def clarity_factor(self) -> float:
        """Factor role clarity puts on the work time of internal requests (1: no role clarity)."""
        share = self.share(self.investments.role_clarity)
        return math.exp(-self.investments.role_clarity_effect * share) if share > 0.0 else 1.0

    @property
    def learning_exponent(self) -> float:
        """Exponent of the defect rates' learning curve that continuous improvement buys (0: no learning)."""
        return self.investments.improvement_effect * self.share(self.investments.improvement)

# --------------------------------------------------------------------------- working time


def _start(text: str) -> str:
    calendar.parse_start(text)
    return text


class Clock(Frozen):
    """What t = 0 is on the calendar: its weekday places weekly windows, its date months and holidays."""

    start: Annotated[str, BeforeValidator(_written), AfterValidator(_start)] = Field(
        calendar.DEFAULT_START, description="date and time of t = 0, `YYYY-MM-DD HH:MM` (default: a Monday 00:00)")


Holiday = Annotated[str, BeforeValidator(_written), AfterValidator(_date), Field(description="`YYYY-MM-DD`")]
def _pay(value: Any, handler) -> Any:
    """One message for a pay that is neither a number nor a mapping of numbers (not one per union member)."""
    try:
        return handler(value)
    except ValidationError:
        if isinstance(value, dict):
            bad = {k: v for k, v in value.items() if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0}
            raise ValueError(f"every rate must be a number >= 0 (got {bad})") from None
        raise ValueError(f"must be a number >= 0, or a rate per department (got {value!r})") from None


class Costs(Frozen):
    """What the firm pays: `firm.cost` and `firm.profit` (revenue less cost) are reported when this is set.

    Money is in one unit of the user's choosing, the unit of segments' `value`.
    """

    labour: Annotated[NonNegativeFloat | dict[Identifier, NonNegativeFloat], WrapValidator(_pay)] = Field(0.0, description=(
        "pay per employee per time unit present (vacancies unpaid): one number for every department, or a rate "
        "per department naming every department"))
    rework: NonNegativeFloat = Field(0.0, description="cost of each service done again after a caught defect")
    escaped_defect: NonNegativeFloat = Field(0.0, description="cost of each defect that reaches a customer "
                                             "(counted on completed orders)")
    late_payment: NonNegativeFloat = Field(0.0, description="penalty per time unit an invoice is paid past its "
                                           "supplier's payment_terms")
    churn: NonNegativeFloat = Field(0.0, description="value lost with each customer who churns (population segments)")
    investment: NonNegativeFloat | None = Field(None, description=(
        "price per headcount-equivalent invested (policy.investments) per time unit; default: what a head of the "
        "plan is paid on average (labour weighted by heads), so a budget buys the same money's worth either way"))

    def labour_rate(self, department: str) -> float:
        return float(self.labour[department] if isinstance(self.labour, dict) else self.labour)


YEAR = {"minute": 525_600.0, "hour": 8_760.0, "day": 365.0, "week": 365.0 / 7.0, "month": 12.0, "year": 1.0}


class Survey(Frozen):
    """An engagement survey at the end of every `every`-th period: each employee present answers with
    probability `response_rate`, reading their department's morale with noise (README, Model: Measures)."""

    response_rate: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.6, description="chance each present employee answers (staff surveys get about 0.3-0.7)")
    noise_sd: NonNegativeFloat = Field(0.1, description="standard deviation of an answer around the morale it reads "
                                       "(answers are clipped to [0, 1])")
    every: Annotated[int, Field(strict=True, ge=1, le=10_000)] = Field(1, description="periods between surveys")


class Measures(Frozen):
    """People and output measures, opt-in so a scenario without them reports what it always did."""

    engagement: bool = Field(False, description="firm.engagement: headcount-weighted morale")
    survey: Survey | None = Field(None, description="firm.engagement_survey: a noisy, sampled reading of it")
    turnover: bool = Field(False, description="each department's turnover (leavers per employee-year) and vacancy_time")
    productivity: bool = Field(False, description="each department's productivity and firm.productivity: work completed "
                               "per paid employee per time unit")
    year: PositiveFloat | None = Field(None, description="time units in a year, for turnover (default from time_unit: "
                                       "hour 8760, day 365, week 52.14, month 12, minute 525600; needed for any other)")


class Multiply(Frozen):
    """A drawn factor applied to the value the scenario writes."""

    multiply: Distribution = Field(description="the written value times a draw of this")


Drawn = Annotated[
    Union[Annotated[Multiply, Tag("multiply")], Annotated[Distribution, Tag("draw")]],  # noqa: UP007 (tagged)
    Discriminator(lambda v: "multiply" if (isinstance(v, dict) and "multiply" in v) or isinstance(v, Multiply)
                  else "draw"),
]


class Units(Frozen):
    """A chain of branches: `count` independent firms sharing the scenario's structure, each with the fields
    named in `vary` drawn afresh (README: Units)."""

    count: Annotated[int, Field(strict=True, ge=2, le=10_000)] = Field(description="how many units (branches)")
    vary: dict[Annotated[str, Field(max_length=300, description="field path")], Drawn] = Field(
        min_length=1, description="field path (`*` for every department, segment, ...) -> a distribution to draw "
        "its value from, or {multiply: distribution} to scale the written value")
    correlate: tuple[Annotated[tuple[str, ...], Field(min_length=2, max_length=2)], ...] = Field(
        (), description="metric pairs whose correlation across units is reported, with a 95 % CI by Fisher's z")


class Agreement(Frozen):
    """An internal service agreement: requests a customer department sends to a supplier department should
    start service within `target` of joining the supplier's queue; one still queued then is escalated ahead of
    unescalated work (README, Model: Internal service agreements)."""

    supplier: Identifier = Field(description="department that serves the requests")
    customer: Identifier | None = Field(None, description="department whose requests it covers (default: every "
                                        "department that sends the supplier requests; a pair named elsewhere keeps "
                                        "its own target)")
    target: NonNegativeFloat = Field(description="longest queue wait the agreement allows, from joining the "
                                     "supplier's queue to the start of service (0: every queued request escalates)")


# left out of dumps when unused: older scenarios dump as before
NEW_TOP_FIELDS = ("clock", "holidays", "calendars", "costs", "profile", "measures", "units", "agreements")


# --------------------------------------------------------------------------- the scenario


class Scenario(Frozen):
    """A whole organisation: time settings, departments, customers, suppliers, morale and policy."""

    name: str = Field("unnamed", max_length=200, description="shown in tables and reports")
    time_unit: str = Field("hour", max_length=40, description="label of the one time unit")
    horizon: PositiveFloat = Field(2000.0, description="simulated time per replication")
    warmup: NonNegativeFloat = Field(0.0, description="statistics ignore what happens before this")
    period: PositiveFloat = Field(40.0, description="length of a reporting/management period")
    handoff: Distribution | None = Field(None, description="delay when work moves between two departments")
    departments: dict[Identifier, Department] = Field(min_length=1, description="the organisation's departments, by name")
    segments: dict[Identifier, Segment] = Field(default_factory=dict, description="external customers, by segment name")
    suppliers: dict[Identifier, Supplier] = Field(default_factory=dict, description="external suppliers, by name")
    morale: Morale = Morale()
    policy: Policy = Policy()
    allow_unstable: bool = Field(False, description=(
        "run even if work that cannot leave (internal requests, orders without patience) gives some department "
        "a utilisation >= 1; orders with patience that overload a department never need it: they abandon"))
    clock: Clock | None = Field(None, description="what t = 0 is (default: a Monday 00:00); needed by dates")
    holidays: tuple[Holiday, ...] = Field((), description="whole days on which every rate table is 0; need `clock`")
    costs: Costs | None = Field(None, description="labour, rework, defect, late-payment and churn costs; "
                                "adds firm.cost and firm.profit")
    calendars: dict[Identifier, CalendarSpec] = Field(
        default_factory=dict, description="named lists of weekly windows, e.g. office: [\"mon-fri 09:00-17:00\"], "
        "or hours that change on dates: {hours: [windows], changes: [{from: YYYY-MM-DD, hours: [windows]}]}")
    profile: bool = Field(False, description="keep hour-of-week profiles (needs `time_unit` minute, hour or day)")
    measures: Measures | None = Field(None, description="engagement, its survey, turnover, vacancies, productivity")
    units: Units | None = Field(None, description="run as many branches, with parameters drawn per branch")
    agreements: tuple[Agreement, ...] = Field((), description="internal service agreements: a response target per "
                                              "(customer department, supplier department); late requests escalate")

    @model_serializer(mode="wrap")
    def _unused_left_out(self, handler):
        data = handler(self)
        for key in NEW_TOP_FIELDS:
            if not getattr(self, key):
                data.pop(key, None)
        return data

    def demand_profile(self, segment: str) -> calendar.Profile | None:
        """The segment's rate (per customer for a population) over [0, horizon] when it varies, else None."""
        arr = self.segments[segment].arrivals
        if not arr.varies:
            return None
        return calendar.profile(arr.per_order_rate, self.time_unit, self.horizon, self.clock.start if self.clock else None,
                                self.holidays, arr.seasonality, arr.dated())

    def agreement_pairs(self) -> list[tuple[str, str, float]]:
        """Every (customer, supplier, target) the agreements cover, in file order of customer then supplier.

        An entry without `customer` covers each department whose services name one of the supplier's services
        as a need; a pair an entry names on its own keeps that entry's target."""
        if not self.agreements:
            return []
        sends = {(c, n.service.split(".")[0]) for c, dept in self.departments.items() for svc in dept.services.values()
                 for n in svc.needs if n.service is not None}
        chosen = {(c, a.supplier): float(a.target) for a in self.agreements if a.customer is None
                  for c in self.departments if (c, a.supplier) in sends}
        chosen.update({(a.customer, a.supplier): float(a.target) for a in self.agreements if a.customer is not None})
        order = {d: i for i, d in enumerate(self.departments)}
        return [(c, s, t) for (c, s), t in sorted(chosen.items(), key=lambda kv: (order[kv[0][0]], order[kv[0][1]]))]

    def year(self) -> float | None:
        """Time units in a year: ``measures.year``, else from ``time_unit`` (None when it names no known unit)."""
        written = self.measures.year if self.measures else None
        return written if written is not None else YEAR.get(self.time_unit)

    def profile_clock(self) -> tuple[float, float] | None:
        """With ``profile``: the hour of the week t = 0 falls in (0 = Monday 00:00) and the hours per time unit."""
        if not self.profile:
            return None
        start = calendar.parse_start(self.clock.start if self.clock else calendar.DEFAULT_START)
        offset = start.weekday() * 24 + start.hour + start.minute / 60.0
        return offset, calendar.UNIT_MINUTES[self.time_unit] / 60.0

    def shift_list(self, dept: str, heads: int | None = None) -> list[tuple[tuple[str, ...], int]] | None:
        """The department's shifts as (windows, headcount) pairs, None when it works around the clock.

        *heads* overrides a calendar department's headcount (an allocation policy's)."""
        named = self._shift_names(dept, heads)
        return None if named is None else [(self.weekly_hours(name), h) for name, h in named]

    def _shift_names(self, dept: str, heads: int | None) -> list[tuple[str, int]] | None:
        spec = self.departments[dept]
        if spec.shifts is not None:
            return [(s.calendar, s.headcount) for s in spec.shifts]
        if spec.calendar is not None:
            return [(spec.calendar, spec.headcount if heads is None else int(heads))]
        return None

    def weekly_hours(self, name: str) -> tuple[str, ...]:
        """A calendar's weekly windows for the weekly views (capacity, stability, shift advice): with dated
        changes, the version in force on the most days of the horizon (the earliest on a tie)."""
        spec = self.calendars[name]
        if not isinstance(spec, DatedCalendar):
            return spec
        start = calendar.parse_start(self.clock.start if self.clock else calendar.DEFAULT_START)
        last = (start + datetime.timedelta(minutes=self.horizon * calendar.UNIT_MINUTES.get(self.time_unit, 60.0))).date()
        edges = [start.date()] + [min(max(d, start.date()), last) for d, _ in spec.dated()] + [last]
        days = [b.toordinal() - a.toordinal() for a, b in zip(edges, edges[1:])]
        versions = [spec.hours] + [c.hours for c in spec.changes]
        return versions[days.index(max(days))]

    def _timed(self, name: str, heads: int) -> tuple:
        """A shift for ``shifts.schedule``: the calendar's first windows, the headcount and its dated changes."""
        spec = self.calendars[name]
        return (spec.hours, heads, spec.dated()) if isinstance(spec, DatedCalendar) else (spec, heads)

    def staff_schedule(self, dept: str, heads: int | None = None) -> shifts.Schedule | None:
        """The department's scheduled headcount over [0, horizon] (None: always its headcount)."""
        named = self._shift_names(dept, heads)
        if named is None:
            return None
        return shifts.schedule([self._timed(name, h) for name, h in named], self.time_unit, self.horizon,
                               self.clock.start if self.clock else None, self.holidays)

    def supplier_clock(self, supplier: str) -> calendar.Profile | None:
        """The open clock of a supplier on a calendar over [0, horizon] (None: always open)."""
        name = self.suppliers[supplier].calendar
        if name is None:
            return None
        return shifts.schedule([self._timed(name, 1)], self.time_unit, self.horizon,
                               self.clock.start if self.clock else None, self.holidays).open_clock()

    def capacity(self, dept: str) -> float:
        """Heads the department has for the long-run load: its headcount, or its weekly time-average on duty."""
        pairs = self.shift_list(dept)
        return float(self.departments[dept].headcount) if pairs is None else shifts.weekly_heads(pairs)

    # ---- convenience views shared by engines, checks and reports

    def service(self, ref: str) -> Service:
        """The service named ``department.service``."""
        dept, name = ref.split(".")
        return self.departments[dept].services[name]

    def service_refs(self) -> list[str]:
        """Every service as ``department.service``, departments and services in file order."""
        return [f"{d}.{s}" for d, dept in self.departments.items() for s in dept.services]

    def front_office(self) -> list[str]:
        """Departments that external customers meet (appear in some journey)."""
        seen = {step.service.split(".")[0] for seg in self.segments.values() for step in seg.journey}
        return [d for d in self.departments if d in seen]

    def n_periods(self) -> int:
        """Reporting periods in a replication; the last one ends at the horizon."""
        return int(math.ceil(self.horizon / self.period - 1e-9))
