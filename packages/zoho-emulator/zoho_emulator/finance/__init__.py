"""Zoho Books v3 and Inventory v1: one data set per organization, served by both."""
