package pipeline

import (
	"encoding/json"
	"time"

	"github.com/waakvlam/waakvlam/dialogs"
)

// KindSetAside is a notice that an item kept failing and is set aside for
// an operator (store.SetAside): Info is its kind (store.AsideUpdate,
// store.AsideSchedule), Report its id, Level the tries. With a ClientID it
// goes to the client's channel, without one to the project leaders.
const KindSetAside dialogs.CoachKind = "set_aside"

// SetAsideNotice is the coach queue payload of a KindSetAside notice.
func SetAsideNotice(kind, id, clientID string, tries int, now time.Time) []byte {
	b, _ := json.Marshal(CoachPost{Kind: KindSetAside, ClientID: clientID, Info: kind, Report: id, Level: tries, Time: now})
	return b
}
