"""The console's HTTP clients, one module per service (intake.py, eligibility.py, scheduler.py): every path
and field name the console reads or sends to a service is written in that service's module only."""
