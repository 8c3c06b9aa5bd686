"""Stays: room types and their night pools, stay rules, owner blocks, stay holds, calendars."""
