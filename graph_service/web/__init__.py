"""Web pages served by the API's own app: the public credit lookup and the investigator explorer."""
