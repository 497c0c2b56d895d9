"""sparkwing.registry"""
