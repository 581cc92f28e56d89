package deploycheck_test

import (
	"fmt"

	"github.com/essflow/essflow/scripts/deploycheck"
)

func ExampleCheckServerless() {
	yml := `
component: scf
name: essflow
stage: ${env.STAGE}
inputs:
  name: ${name}-${stage}
  src: ./dist/scf
  runtime: Go1
  handler: main
  memorySize: 200
  timeout: 60
  environment:
    variables:
      SCF_DEBUG: "1"
  events:
    - ckafka:
        parameters: {name: ckafka-1, topic: in, maxMsgNum: 100, offset: latest, retry: 3, timeout: 120}
`
	for _, p := range deploycheck.CheckServerless([]byte(yml), map[string]string{"STAGE": "prod"}) {
		fmt.Println(p)
	}
	// Output:
	// inputs.memorySize: 200, want 64 or 128..3072 in steps of 128
	// inputs.environment.variables.SCF_DEBUG: the prefix SCF_ is reserved by SCF
	// inputs.events[0].ckafka.parameters.timeout: 120, want an integer in 1..60
}

func ExampleCheckSAM() {
	tpl := `
Transform: AWS::Serverless-2016-10-31
Resources:
  Queue: {Type: AWS::SQS::Queue}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: dist/lambda.zip
      Handler: bootstrap
      Runtime: provided.al2023
      Architectures: [x86_64]
      Events:
        Q: {Type: SQS, Properties: {Queue: !GetAtt Queue.Arn}}
`
	for _, p := range deploycheck.CheckSAM([]byte(tpl)) {
		fmt.Println(p)
	}
	// Output:
	// Resources.Fn.Properties.Architectures: [x86_64], want [arm64]
	// Resources.Fn.Properties.Events.Q.Properties.FunctionResponseTypes: want [ReportBatchItemFailures]
	// Resources.Queue.Properties.RedrivePolicy.deadLetterTargetArn: want !GetAtt <dead-letter queue>.Arn of another AWS::SQS::Queue
	// Resources.Queue.Properties.RedrivePolicy.maxReceiveCount: want an integer >= 1
}
