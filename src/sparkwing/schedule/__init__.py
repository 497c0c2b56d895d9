"""sparkwing.schedule"""
