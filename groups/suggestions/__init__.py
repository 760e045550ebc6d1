"""Suggested groups: the waiting list proposes groups that staff accept (issue 16).

- `solver`: who goes in which group, on plain data, with OR-Tools CP-SAT.
- `proposals`: a centre's waiting list loaded, solved and explained
  (`suggest(centre)`), each person left out with a reason.
- `services`: staff accept a proposal (it holds its people until the group
  is formed from it on the check page), discard it, or let an accepted one go.

The hard rules are groups.rules' (`suggestion_errors` and the predicates it
shares with the solver); the admin page is groups.admin's
`GroupAdmin.suggestions_view`, the command `manage.py suggest_groups`.
"""
