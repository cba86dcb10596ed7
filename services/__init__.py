"""The CNNECT services; none imports another."""
