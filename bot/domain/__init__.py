"""Pure business rules: calendar, statutory timescales, the case model. No I/O; `now` is passed in."""
