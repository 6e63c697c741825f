"""Invoices and credit notes: a sequentially numbered invoice per paid order and a credit
note per refund (and its reversal if that refund fails after it counted), with the
seller's details from config and the VAT per rate, copied at issue time (issue), and
what their pages show and to whom (documents)."""
from webshop.invoices.documents import (
    SELLER_PLACEHOLDER, Credit, credit_note_of, credit_notes, invoice_of, order_for_documents,
    seller_of, staff_credits,
)
from webshop.invoices.issue import (
    breakdown, init_app, issue_credit_note, issue_invoice, issue_missing, next_number,
)

__all__ = [
    "SELLER_PLACEHOLDER", "Credit", "breakdown", "credit_note_of", "credit_notes", "init_app",
    "invoice_of", "issue_credit_note", "issue_invoice", "issue_missing", "next_number",
    "order_for_documents", "seller_of", "staff_credits",
]
