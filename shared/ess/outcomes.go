package ess

// Per-flow statuses of a CreateFlowsByTemplates answer.
const (
	FlowStatusCreated   = "created"
	FlowStatusFailed    = "failed"
	FlowStatusPreviewed = "previewed"
	// FlowStatusUnknown marks a flow the answer does not account for (arrays shorter than the
	// request, or neither a FlowId nor an error): it may or may not exist.
	FlowStatusUnknown = "unknown"
)

// FlowOutcome is the result of one FlowInfos entry, read from the parallel arrays of the answer.
type FlowOutcome struct {
	Index        int
	Status       string
	FlowId       string
	Error        string
	PreviewUrl   string
	CustomerData string
	Task         *TaskInfo
	Approvers    []*ApproverItem
}

// Outcomes maps an answer to one FlowOutcome per requested flow (n flows; preview is the
// request's NeedPreview). ErrorMessages[i] non-empty means flow i failed while the others may
// have been created: partial success is normal and must be reported per flow.
func (r *CreateFlowsByTemplatesResponse) Outcomes(n int, preview bool) []FlowOutcome {
	out := make([]FlowOutcome, n)
	byFlow := map[string][]*ApproverItem{}
	for _, fa := range r.FlowApprovers {
		if fa != nil && fa.FlowId != nil {
			byFlow[*fa.FlowId] = fa.Approvers
		}
	}
	for i := range out {
		o := FlowOutcome{Index: i}
		o.FlowId = at(r.FlowIds, i)
		o.Error = at(r.ErrorMessages, i)
		o.PreviewUrl = at(r.PreviewUrls, i)
		o.CustomerData = at(r.CustomerData, i)
		if i < len(r.TaskInfos) && r.TaskInfos[i] != nil && (Deref(r.TaskInfos[i].TaskId) != "" || Deref(r.TaskInfos[i].TaskStatus) != "") {
			o.Task = r.TaskInfos[i]
		}
		switch {
		case o.Error != "":
			o.Status = FlowStatusFailed
		case preview && o.PreviewUrl != "":
			o.Status = FlowStatusPreviewed
		case !preview && o.FlowId != "":
			o.Status = FlowStatusCreated
			o.Approvers = byFlow[o.FlowId]
		default:
			o.Status = FlowStatusUnknown
		}
		out[i] = o
	}
	return out
}

func at(s []*string, i int) string {
	if i < len(s) && s[i] != nil {
		return *s[i]
	}
	return ""
}
