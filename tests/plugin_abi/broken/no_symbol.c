/* Fault: exports no exaproxy_plugin_entry (a typo in the name). */
#include <exaproxy/abi.h>
EXAPROXY_EXPORT int exaproxy_plugin_entrie(void) { return 0; }
