"""`cspr-bot demo`: a complete rapid review of a fictional case, on a simulated clock, through the
same bootstrap, handlers and timetable as the real service, in a workspace of its own."""

from bot.demo.scenario import run_demo

__all__ = ["run_demo"]
