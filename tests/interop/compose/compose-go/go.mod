module github.com/compose-spec/compose-go/v2

go 1.19

require github.com/sirupsen/logrus v0.0.0
