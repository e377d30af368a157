/* Verdicts of tc classifiers and actions (TC_ACT_*), which sched_cls
 * programs in direct-action mode return. */
#ifndef __LINUX_PKT_CLS_H
#define __LINUX_PKT_CLS_H

#include <linux/types.h>
#include <linux/pkt_sched.h>

#define TC_ACT_UNSPEC (-1)      /* use the default verdict */
#define TC_ACT_OK 0             /* pass the packet on */
#define TC_ACT_RECLASSIFY 1
#define TC_ACT_SHOT 2           /* drop */
#define TC_ACT_PIPE 3           /* continue with the next action */
#define TC_ACT_STOLEN 4         /* consumed by the action */
#define TC_ACT_QUEUED 5
#define TC_ACT_REPEAT 6
#define TC_ACT_REDIRECT 7       /* send where bpf_redirect() said */
#define TC_ACT_TRAP 8           /* hardware offload: to the CPU */
#define TC_ACT_VALUE_MAX TC_ACT_TRAP

/* Extended verdicts: an opcode in the top 4 bits and a value below it. */
#define __TC_ACT_EXT_SHIFT 28
#define __TC_ACT_EXT(local) ((local) << __TC_ACT_EXT_SHIFT)
#define TC_ACT_EXT_VAL_MASK ((1 << __TC_ACT_EXT_SHIFT) - 1)
#define TC_ACT_EXT_OPCODE(combined) ((combined) & (~TC_ACT_EXT_VAL_MASK))
#define TC_ACT_EXT_CMP(combined, opcode) (TC_ACT_EXT_OPCODE(combined) == opcode)

#define TC_ACT_JUMP __TC_ACT_EXT(1)
#define TC_ACT_GOTO_CHAIN __TC_ACT_EXT(2)
#define TC_ACT_EXT_OPCODE_MAX TC_ACT_GOTO_CHAIN

/* Old names used by policers. */
#define TC_POLICE_UNSPEC TC_ACT_UNSPEC
#define TC_POLICE_OK TC_ACT_OK
#define TC_POLICE_RECLASSIFY TC_ACT_RECLASSIFY
#define TC_POLICE_SHOT TC_ACT_SHOT
#define TC_POLICE_PIPE TC_ACT_PIPE

/* Netlink attributes of the "bpf" classifier (tc filter ... bpf). */
enum {
	TCA_BPF_UNSPEC,
	TCA_BPF_ACT,
	TCA_BPF_POLICE,
	TCA_BPF_CLASSID,
	TCA_BPF_OPS_LEN,
	TCA_BPF_OPS,
	TCA_BPF_FD,
	TCA_BPF_NAME,
	TCA_BPF_FLAGS,
	TCA_BPF_FLAGS_GEN,
	TCA_BPF_TAG,
	TCA_BPF_ID,
	__TCA_BPF_MAX,
};
#define TCA_BPF_MAX (__TCA_BPF_MAX - 1)

#define TCA_BPF_FLAG_ACT_DIRECT (1 << 0)   /* direct action: return TC_ACT_* */

#endif /* __LINUX_PKT_CLS_H */
