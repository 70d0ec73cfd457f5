"""The columns of a work item in the event loop's pools: its kind, integer fields (``II``), float fields (``FF``)
and flags, written once for the loop and the modules whose functions it calls."""

# ---- item kinds
K_ORDER = 0  # an external order (its journey work: external class)
K_SUB = 1  # a sub-request to a service (internal class)
K_INVOICE = 2  # an invoice at a supplier's paid_by service (internal class)
K_RECOVERY = 3  # a complaint-recovery step at the recovery service (internal class, nobody waits for it)
K_DELIVERY = 3  # a request to an external supplier, in transit
K_VACANCY = 4  # a leaver's slot, queued ahead of all work

# ---- integer fields of an item (columns of II)
I_KIND = 0
I_SEG = 1  # segment (orders); supplier (deliveries, invoices); department the mover joins, -1 a leaver (vacancies)
I_STEP = 2  # global journey step (orders)
I_SVC = 3  # service being visited
I_ROUTE = 4  # drawn next step of the current visit: -2 not drawn yet, -1 complete
I_FLAGS = 5
I_AKEY = 6  # order queued with finite patience: its abandonment's key (sequence << 4 | EV_ABANDON); request under
# an agreement: its escalation's key
I_GEN = 7  # bumped on allocation and release: stale references to a reused slot are ignored
I_PARENT = 8  # item waiting on this request
I_PENDING = 9  # requests this item still waits for
I_ROOT = 10  # the external order the work is for (-1: none)
I_RGEN = 11  # generation of that order
I_REQD = 12  # requesting department (requests)
I_TARGET = 13  # target index: department of the service, or n_dept + supplier
I_ESC = 14  # escaped defects (orders)
I_QN = 15  # queue links
I_QP = 16
I_FIRED = 17  # head of the fired-need list not yet sent
I_NEXT = 18  # free list
I_AN = 19  # request under a service agreement, queued and not escalated: links in its agreement's list (oldest first)
I_AP = 20
NI = 21

# ---- float fields (columns of FF)
F_T0 = 0  # order arrival, request sending, invoice raising
F_PAT = 1  # patience
F_WACC = 2  # total queue wait so far
F_TENQ = 3  # time it joined the current queue
F_PDEF = 4  # defect probability fixed when the service began
F_DEAD = 5  # order queued with finite patience: when it abandons (inf: it does not); request under an agreement:
# when it escalates
F_OPEN = 6  # queue wait so far on the open clock (orders of segments whose patience runs on it)
NF = 7

# ---- flags
FL_REDO = 1  # the current service is a redo
FL_HOLD = 2  # fired needs with hold: send them when an employee is taken
FL_BLOCKED = 4  # holding an employee while waiting on requests
FL_QUEUED = 8
FL_AGREE = 16  # an internal request under a service agreement, queued and not yet decided (kernels/agreements.py)
FL_ESC = 32  # ... escalated: in its department's escalated queue
