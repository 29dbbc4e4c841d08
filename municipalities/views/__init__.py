"""The returns' pages: officer.py for the municipal officers' side (their municipality's return),
secretariat.py for the plan secretariat's side (rounds, review, status matrix)."""
