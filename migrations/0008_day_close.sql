-- Version 8: end-of-day closes (Z reports) and the immutability of a closed day.
-- (written with the reports)
SELECT 1;
