module coffer-interop-compose

go 1.19

require github.com/compose-spec/compose-go/v2 v2.0.0

require github.com/sirupsen/logrus v0.0.0 // indirect

replace github.com/compose-spec/compose-go/v2 => ./compose-go

replace github.com/sirupsen/logrus => ./logrus-stub
