"""sparkwing.serve"""
