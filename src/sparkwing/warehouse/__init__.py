"""sparkwing.warehouse"""
