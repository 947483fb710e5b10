// Overloaded{lambdas...}: one callable from several lambdas, for std::visit
// over the AST's variants.
#pragma once

namespace plumb {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;  // clang < 17 has no aggregate CTAD

}  // namespace plumb
