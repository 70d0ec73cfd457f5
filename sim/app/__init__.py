"""The what-if page (`orgsim app`): a local web page over the studies layer, for strategists and classes.

Layers: ``app`` sits between ``cli`` (which only parses its flags) and ``present``.  ``whatif`` edits and
pairs scenarios, ``graph`` and ``timeline`` turn results and traces into data the page draws, ``service``
answers requests as plain data, ``server`` is the web layer (needs the ``app`` extra: Starlette, uvicorn).
"""
