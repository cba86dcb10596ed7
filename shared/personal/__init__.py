"""Personal data sealed with a key per customer, so forgetting a customer is destroying one key.

The events of our stores are never deleted (docs/design.md, "Personal data"): names, addresses,
phone numbers, e-mails, free text and files a customer gave us are written only as ciphertext,
under the customer's data key, and the key is destroyed when the customer is forgotten. What
stays readable afterwards is what carries no person: ids, amounts, dates, countries."""
