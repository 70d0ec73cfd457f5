"""The columns of the loop's tables: items (rows of ``II``, ``FF``) and departments (rows of ``DI``, ``DF``).

An item is a unit of work or a slot: an external order, a sub-request, an
invoice, a delivery in transit, or a run of vacancies.
"""

# ---- kinds
K_ORDER = 0  # an external order (its journey work: external class)
K_SUB = 1  # a sub-request to a service (internal class)
K_INVOICE = 2  # an invoice at a supplier's paid_by service (internal class)
K_DELIVERY = 3  # a request to an external supplier, in transit
K_VACANCY = 4  # a run of leavers' slots, queued ahead of all work

# ---- integer fields (columns of II)
I_KIND = 0
I_SEG = 1  # segment (orders); supplier (deliveries, invoices); department the movers join, -1 leavers (vacancies)
I_STEP = 2  # global journey step (orders)
I_SVC = 3  # service being visited
I_ROUTE = 4  # drawn next step of the current visit: -2 not drawn yet, -1 complete
I_FLAGS = 5
I_AKEY = 6  # order queued with finite patience: its abandonment's key (events.new_key)
I_GEN = 7  # bumped on allocation and release: stale references to a reused slot are ignored
I_PARENT = 8  # item waiting on this request
I_PENDING = 9  # requests this item still waits for; vacancies in the run
I_ROOT = 10  # the external order the work is for (-1: none)
I_RGEN = 11  # generation of that order
I_REQD = 12  # requesting department (requests)
I_TARGET = 13  # target index: department of the service, or n_dept + supplier
I_ESC = 14  # escaped defects (orders)
I_QN = 15  # queue links
I_QP = 16
I_FIRED = 17  # head of the fired-need list not yet sent
I_NEXT = 18  # free list
NI = 19

# ---- float fields (columns of FF)
F_T0 = 0  # order arrival, request sending, invoice raising
F_PAT = 1  # patience
F_WACC = 2  # total queue wait so far
F_TENQ = 3  # time it joined the current queue
F_PDEF = 4  # defect probability fixed when the service began
F_DEAD = 5  # order queued with finite patience: when it abandons (inf: it does not)
NF = 6

# ---- flags (I_FLAGS)
FL_REDO = 1  # the current service is a redo
FL_HOLD = 2  # fired needs with hold: send them when an employee is taken
FL_BLOCKED = 4  # holding an employee while waiting on requests
FL_QUEUED = 8

# ---- department state: integer columns of DI
DI_PRESENT = 0  # employees present (leavers gone, vacancies excluded)
DI_BUSY = 1  # employees busy, blocked included
DI_BLOCKED = 2
DI_VAC = 3  # vacancies queued (leavers and movers not gone yet)
DI_QH = 4  # queue heads 4, 5, 6: work queues 0 (served first) and 1, then Q_VACANCY
DI_QT = 7  # queue tails 7, 8, 9
DI_AKEY = 10  # the earliest abandonment among orders queued here: its key and order (-1: none)
DI_AJ = 11
NDI = 12
Q_VACANCY = 2  # the queue of vacancy runs, served before both work queues

# ---- department state: float columns of DF
DF_LAST = 0  # time employee time was last integrated
DF_IBUSY = 1  # employee time since t = 0: busy (blocked included), blocked, present
DF_IBLK = 2
DF_IAVAIL = 3
DF_WBUSY = 4  # ... at warm-up end
DF_WBLK = 5
DF_WAVAIL = 6
DF_PBUSY = 7  # ... at the last period boundary
DF_PBLK = 8
DF_PAVAIL = 9
DF_MORALE = 10
DF_SPEED = 11  # skill x speed factor at the current morale
DF_ADEAD = 12  # the earliest abandonment's deadline (inf: none)
NDF = 13
