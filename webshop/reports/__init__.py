"""Read models for staff: what the admin pages show. Reads only; nothing here writes or
commits (changes belong to the domain modules: orders, accounts, merchandising).

- `orders`: the order filter, the filtered order list, one order with its history.
- `export`: the filtered orders as a streamed CSV file.
- `customers`: customers with their order count and lifetime value.
- `dashboard`: the admin home's figures and sales chart.

Every function answers in a fixed number of queries whatever the number of rows, and
takes plain values (an OrderFilter, ids, page numbers), never the request.
"""
