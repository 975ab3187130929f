module chaos-testbed/pause

go 1.24.0
