// Op database entries of the ltorch activation family.
#include "families.h"

#include <ATen/ATen.h>

namespace thunder::opdb::detail {

void add_activation_ops(std::vector<OpInfo>& /*ops*/) {}

} // namespace thunder::opdb::detail
