module vigil.dev/tests/tools/webhook-go

go 1.26
