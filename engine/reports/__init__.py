"""Reports of the quarterly review (issue 12): every figure computed in SQL over stored runs
and facts, limited by the visibility policy and the report filters (``filters``)."""
