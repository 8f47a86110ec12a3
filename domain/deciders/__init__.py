"""The institution's deciders: ``decide(state, command) -> events``, grouped by area.

- ``filing``: submission, approval, details, scope changes, renewal, expiry and lapse
- ``evidence``: findings, evaluation batches, complaints, annual assessments
- ``cases``: opening a case, the notice, the defence, the decision
- ``effects``: service and its effects, the interview, rectification
- ``appeals``: reconsideration and review
- ``onsite``: pausing, resuming and stopping an evaluation session
- ``opinions``: special supervision's opinion letter and its report

Each reads an ``InstitutionState`` (``domain.state``) and returns ``NewEvent`` values, or
raises a ``DomainError`` that names its field and articles. None records anything: the
``Institution`` aggregate records what they return, and ``domain.evolve`` folds it.
"""
