// Spec loader: JSON -> typed Spec, with structural and cross-reference validation.
#include "conformance/spec/loader.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

namespace conformance::spec {

using nlohmann::json;

SpecError::SpecError(std::string file, std::string pointer, std::string reason)
    : std::runtime_error(file + ": " + (pointer.empty() ? "/" : pointer) + ": " + reason),
      file_(std::move(file)),
      pointer_(std::move(pointer)),
      reason_(std::move(reason)) {}

namespace {

std::string escape_pointer_token(const std::string& token) {
  std::string out;
  for (char c : token) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

std::string type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    case json::value_t::number_float:
      return "number";
    case json::value_t::string:
      return "string";
    case json::value_t::array:
      return "array";
    case json::value_t::object:
      return "object";
    default:
      return "value";
  }
}

// A position in the document: the value and its JSON pointer.
class Node {
 public:
  Node(const json& value, std::string pointer, const std::string& file)
      : value_(&value), pointer_(std::move(pointer)), file_(&file) {}

  const json& value() const { return *value_; }
  const std::string& pointer() const { return pointer_; }
  const std::string& file() const { return *file_; }

  [[noreturn]] void fail(const std::string& reason) const {
    throw SpecError(*file_, pointer_, reason);
  }

  Node at(const std::string& key) const {
    return Node((*value_)[key], pointer_ + "/" + escape_pointer_token(key), *file_);
  }
  Node at(std::size_t index) const {
    return Node((*value_)[index], pointer_ + "/" + std::to_string(index), *file_);
  }

  // Object with exactly these permitted keys; `required` must all be present.
  const Node& object(std::initializer_list<const char*> allowed,
                     std::initializer_list<const char*> required = {}) const {
    if (!value_->is_object()) fail("expected an object, found " + type_name(*value_));
    for (const auto& [key, _] : value_->items()) {
      bool known =
          std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; });
      if (!known) {
        std::string list;
        for (const char* a : allowed)
          list += (list.empty() ? "" : ", ") + std::string(a);
        Node(value_->at(key), pointer_ + "/" + escape_pointer_token(key), *file_)
            .fail("unknown key '" + key + "' (allowed here: " + list + ")");
      }
    }
    for (const char* r : required)
      if (!value_->contains(r)) fail(std::string("missing required key '") + r + "'");
    return *this;
  }
  const Node& map_object() const {
    if (!value_->is_object()) fail("expected an object, found " + type_name(*value_));
    return *this;
  }
  const Node& array() const {
    if (!value_->is_array()) fail("expected an array, found " + type_name(*value_));
    return *this;
  }
  bool has(const char* key) const { return value_->is_object() && value_->contains(key); }

  std::string str() const {
    if (!value_->is_string()) fail("expected a string, found " + type_name(*value_));
    return value_->get<std::string>();
  }
  std::string nonempty_str() const {
    auto s = str();
    if (s.empty()) fail("expected a non-empty string");
    return s;
  }
  std::int64_t integer() const {
    if (!value_->is_number_integer()) fail("expected an integer, found " + type_name(*value_));
    if (value_->is_number_unsigned() &&
        value_->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
      fail("integer out of range");
    return value_->get<std::int64_t>();
  }
  double number() const {
    if (!value_->is_number()) fail("expected a number, found " + type_name(*value_));
    return value_->get<double>();
  }
  bool boolean() const {
    if (!value_->is_boolean()) fail("expected true or false, found " + type_name(*value_));
    return value_->get<bool>();
  }
  std::vector<std::string> strings() const {
    array();
    std::vector<std::string> out;
    for (std::size_t i = 0; i < value_->size(); ++i)
      out.push_back(at(i).nonempty_str());
    return out;
  }
  std::string str_or(const char* key, std::string fallback) const {
    return has(key) ? at(key).str() : fallback;
  }
  std::string enum_str(std::initializer_list<const char*> options) const {
    auto s = str();
    for (const char* o : options)
      if (s == o) return s;
    std::string list;
    for (const char* o : options)
      list += (list.empty() ? "" : ", ") + std::string(o);
    fail("'" + s + "' is not one of: " + list);
  }
  // A value of an enumeration of the format, by the one table of its texts.
  template <class E>
  E enum_of() const {
    auto s = str();
    if (auto v = from_string<E>(s)) return *v;
    std::string list;
    for (const auto& [_, text] : names(E{}))
      list += (list.empty() ? "" : ", ") + std::string(text);
    fail("'" + s + "' is not one of: " + list);
  }

 private:
  const json* value_;
  std::string pointer_;
  const std::string* file_;
};

// ---- parsing --------------------------------------------------------------

TypeRef parse_type(const Node& n, const std::string& text) {
  TypeRef t;
  t.text = text;
  auto generic = [&](const std::string& prefix) -> std::optional<std::string> {
    if (text.size() > prefix.size() + 2 && text.compare(0, prefix.size() + 1, prefix + "<") == 0 &&
        text.back() == '>')
      return text.substr(prefix.size() + 1, text.size() - prefix.size() - 2);
    return std::nullopt;
  };
  if (text == "string")
    t.kind = TypeRef::Kind::String;
  else if (text == "long")
    t.kind = TypeRef::Kind::Long;
  else if (text == "boolean")
    t.kind = TypeRef::Kind::Boolean;
  else if (text == "date-time")
    t.kind = TypeRef::Kind::DateTime;
  else if (text == "uri")
    t.kind = TypeRef::Kind::Uri;
  else if (text == "any")
    t.kind = TypeRef::Kind::Any;
  else if (auto inner = generic("id")) {
    t.kind = TypeRef::Kind::Id;
    t.target = *inner;
  } else if (auto inner = generic("key")) {
    t.kind = TypeRef::Kind::Key;
    t.target = *inner;
  } else if (auto inner = generic("list")) {
    t.kind = TypeRef::Kind::List;
    t.element = std::make_shared<TypeRef>(parse_type(n, *inner));
  } else {
    bool ident = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
    if (!ident)
      n.fail("'" + text +
             "' is not a type expression (string, long, boolean, date-time, "
             "uri, any, id<R>, key<R>, list<T> or a declared type name)");
    t.kind = TypeRef::Kind::Named;
    t.target = text;
  }
  return t;
}

void parse_range(const Node& n, std::optional<std::int64_t>& min,
                 std::optional<std::int64_t>& max) {
  n.array();
  if (n.value().size() != 2) n.fail("a range is [min, max] (null for no bound)");
  if (!n.value()[0].is_null()) min = n.at(std::size_t{0}).integer();
  if (!n.value()[1].is_null()) max = n.at(std::size_t{1}).integer();
  if (min && max && *min > *max) n.fail("range minimum is above its maximum");
}

Clause parse_clause(const Node& n, const std::string& area) {
  n.object({"id", "provenance", "reason", "summary", "source"}, {"id", "provenance", "summary"});
  Clause c;
  c.id = n.at("id").nonempty_str();
  bool id_ok = std::all_of(c.id.begin(), c.id.end(), [](char ch) {
    return std::islower(static_cast<unsigned char>(ch)) ||
           std::isdigit(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.';
  });
  if (!id_ok || c.id.find('.') == std::string::npos || c.id.front() == '.' || c.id.back() == '.' ||
      c.id.find("..") != std::string::npos)
    n.at("id").fail("clause id '" + c.id +
                    "' must be dotted lower_snake_case, e.g. cancel.requires_active");
  c.provenance = n.at("provenance").enum_of<Provenance>();
  c.reason = n.str_or("reason", "");
  if (c.provenance != Provenance::documented && c.reason.empty())
    n.fail("a clause marked '" + to_string(c.provenance) +
           "' needs a 'reason' (one line saying why)");
  c.summary = n.at("summary").nonempty_str();
  c.area = area;
  c.pointer = n.pointer();
  return c;
}

ValueExpr parse_value(const Node& n) {
  n.object({"param", "at", "const", "stable"});
  ValueExpr v;
  int forms = n.has("param") + n.has("const") + n.has("stable");
  if (forms != 1)
    n.fail("a value is exactly one of {\"param\": ...}, {\"const\": ...}, {\"stable\": true}");
  if (n.has("param")) {
    v.kind = ValueExpr::Kind::Param;
    v.param = n.at("param").nonempty_str();
    v.at = n.str_or("at", "");
  } else if (n.has("const")) {
    if (n.has("at")) n.at("at").fail("'at' goes with 'param' only");
    v.kind = ValueExpr::Kind::Const;
    v.value = n.value()["const"];
  } else {
    if (n.has("at")) n.at("at").fail("'at' goes with 'param' only");
    if (!n.at("stable").boolean()) n.at("stable").fail("'stable' can only be true");
    v.kind = ValueExpr::Kind::Stable;
  }
  return v;
}

TypeDef parse_typedef(const Node& n, const std::string& name) {
  TypeDef t;
  t.name = name;
  n.map_object();
  auto kind = n.has("kind") ? n.at("kind").enum_str({"structure", "enum"}) : std::string();
  if (kind.empty()) n.fail("missing required key 'kind'");
  if (kind == "enum") {
    n.object({"kind", "values", "doc"}, {"kind", "values"});
    t.kind = TypeDef::Kind::Enum;
    t.values = n.at("values").strings();
    if (t.values.empty()) n.at("values").fail("an enum needs at least one value");
    std::set<std::string> seen;
    for (std::size_t i = 0; i < t.values.size(); ++i)
      if (!seen.insert(t.values[i]).second)
        n.at("values").at(i).fail("duplicate enum value '" + t.values[i] + "'");
  } else {
    n.object({"kind", "fields", "doc"}, {"kind", "fields"});
    t.kind = TypeDef::Kind::Structure;
    Node fields = n.at("fields");
    fields.map_object();
    for (const auto& [fname, _] : fields.value().items()) {
      Node f = fields.at(fname);
      f.object({"type", "presence", "range", "doc"}, {"type", "presence"});
      Field field;
      field.name = fname;
      field.type = parse_type(f.at("type"), f.at("type").nonempty_str());
      field.always = f.at("presence").enum_str({"always", "optional"}) == "always";
      if (f.has("range")) parse_range(f.at("range"), field.min, field.max);
      t.fields.push_back(std::move(field));
    }
  }
  t.doc = n.str_or("doc", "");
  return t;
}

StateMachine parse_states(const Node& n, const std::string& area) {
  n.object({"field", "type", "initial", "spontaneous", "spontaneous_clause"},
           {"field", "type", "initial"});
  StateMachine s;
  s.field = n.at("field").nonempty_str();
  s.type = n.at("type").nonempty_str();
  s.initial = n.at("initial").nonempty_str();
  if (n.has("spontaneous")) {
    Node sp = n.at("spontaneous");
    sp.array();
    for (std::size_t i = 0; i < sp.value().size(); ++i) {
      auto pair = sp.at(i).strings();
      if (pair.size() != 2) sp.at(i).fail("a spontaneous transition is [from, to]");
      s.spontaneous.emplace_back(pair[0], pair[1]);
    }
  }
  if (n.has("spontaneous_clause"))
    s.spontaneous_clause = parse_clause(n.at("spontaneous_clause"), area);
  return s;
}

Resource parse_resource(const Node& n, const std::string& name) {
  Resource r;
  r.name = name;
  n.object({"kind", "model", "key", "parent", "members", "states", "ownership", "lease", "doc"},
           {"kind"});
  r.kind = n.at("kind").enum_of<Resource::Kind>();
  r.doc = n.str_or("doc", "");
  if (r.kind == Resource::Kind::External) {
    for (const char* k : {"model", "key", "parent", "members", "states", "ownership", "lease"})
      if (n.has(k)) n.at(k).fail(std::string("an external resource has no '") + k + "'");
    return r;
  }
  n.object({"kind", "model", "key", "parent", "members", "states", "ownership", "lease", "doc"},
           {"kind", "model", "key"});
  r.model = n.at("model").nonempty_str();
  r.key = n.at("key").nonempty_str();
  if (n.has("states")) r.states = parse_states(n.at("states"), name);
  if (r.kind == Resource::Kind::Child) {
    if (!n.has("parent")) n.fail("a child resource needs 'parent'");
    if (!n.has("members")) n.fail("a child resource needs 'members'");
    r.parent = n.at("parent").nonempty_str();
    Node m = n.at("members");
    m.object({"from", "via_parent_field", "doc"}, {"from", "via_parent_field"});
    r.members_from = m.at("from").nonempty_str();
    r.members_via_parent_field = m.at("via_parent_field").nonempty_str();
    for (const char* k : {"ownership", "lease"})
      if (n.has(k))
        n.at(k).fail(std::string("a child resource takes its '") + k + "' from its parent");
  } else {
    if (n.has("parent")) n.at("parent").fail("only a child resource has a 'parent'");
    if (n.has("members")) n.at("members").fail("only a child resource has 'members'");
  }
  if (n.has("ownership")) {
    Node o = n.at("ownership");
    o.object({"owner", "others_see", "clause"}, {"owner", "others_see", "clause"});
    Ownership own;
    own.owner = o.at("owner").enum_str({"creator"});
    own.others_see = o.at("others_see").nonempty_str();
    own.clause = parse_clause(o.at("clause"), "ownership");
    r.ownership = own;
  }
  if (n.has("lease")) {
    Node l = n.at("lease");
    l.object({"field", "timeout_seconds", "on_expiry", "not_before", "expires", "initial"},
             {"field", "timeout_seconds", "on_expiry", "not_before", "expires", "initial"});
    Lease lease;
    lease.field = l.at("field").nonempty_str();
    lease.timeout_seconds = l.at("timeout_seconds").number();
    if (lease.timeout_seconds <= 0)
      l.at("timeout_seconds").fail("the lease timeout must be positive");
    lease.on_expiry = l.at("on_expiry").enum_str({"removed"});
    lease.not_before = parse_clause(l.at("not_before"), "lease");
    lease.expires = parse_clause(l.at("expires"), "lease");
    lease.initial = parse_clause(l.at("initial"), "lease");
    r.lease = lease;
  }
  return r;
}

Precondition parse_precondition(const Node& n, const std::string& area) {
  n.object({"check", "param", "resource", "parent_param", "states", "values", "unless_privilege",
            "min", "max", "error", "clause"},
           {"check", "param", "error", "clause"});
  Precondition p;
  p.check = n.at("check").enum_of<Precondition::Check>();
  const std::string check = to_string(p.check);
  using C = Precondition::Check;
  p.param = n.at("param").nonempty_str();
  p.error = n.at("error").nonempty_str();
  auto need = [&](const char* key) {
    if (!n.has(key)) n.fail("check '" + check + "' needs '" + key + "'");
  };
  auto forbid_except = [&](std::initializer_list<const char*> keys) {
    for (const char* k :
         {"resource", "parent_param", "states", "values", "unless_privilege", "min", "max"}) {
      bool allowed =
          std::any_of(keys.begin(), keys.end(), [&](const char* a) { return std::string(a) == k; });
      if (!allowed && n.has(k)) n.at(k).fail("check '" + check + "' takes no '" + k + "'");
    }
  };
  switch (p.check) {
    case C::Present:
      forbid_except({});
      break;
    case C::Exists:
      forbid_except({"resource"});
      need("resource");
      break;
    case C::StateIn:
      forbid_except({"resource", "states"});
      need("resource");
      need("states");
      p.states = n.at("states").strings();
      if (p.states.empty()) n.at("states").fail("'states' must name at least one state");
      break;
    case C::ChildExists:
      forbid_except({"resource", "parent_param"});
      need("resource");
      need("parent_param");
      p.parent_param = n.at("parent_param").nonempty_str();
      break;
    case C::NotValue:
      forbid_except({"values", "unless_privilege"});
      need("values");
      p.values = n.at("values").strings();
      p.unless_privilege = n.str_or("unless_privilege", "");
      break;
    case C::InRange:
      forbid_except({"min", "max"});
      if (n.has("min")) p.min = n.at("min").integer();
      if (n.has("max")) p.max = n.at("max").integer();
      if (!p.min && !p.max) n.fail("check 'in_range' needs 'min' or 'max'");
      break;
  }
  if (n.has("resource")) p.resource = n.at("resource").nonempty_str();
  p.clause = parse_clause(n.at("clause"), area);
  return p;
}

Effect parse_effect(const Node& n, const std::string& area) {
  n.object({"effect", "resource", "param", "parent_param", "field", "value", "when_param_present",
            "fields", "to", "to_any_of", "completes", "clause"},
           {"effect", "resource", "clause"});
  Effect e;
  e.kind = n.at("effect").enum_of<Effect::Kind>();
  const std::string kind = to_string(e.kind);
  using K = Effect::Kind;
  e.resource = n.at("resource").nonempty_str();
  auto need = [&](const char* key) {
    if (!n.has(key)) n.fail("effect '" + kind + "' needs '" + key + "'");
  };
  auto forbid_except = [&](std::initializer_list<const char*> keys) {
    for (const char* k : {"param", "parent_param", "field", "value", "when_param_present", "fields",
                          "to", "to_any_of", "completes"}) {
      bool allowed =
          std::any_of(keys.begin(), keys.end(), [&](const char* a) { return std::string(a) == k; });
      if (!allowed && n.has(k)) n.at(k).fail("effect '" + kind + "' takes no '" + k + "'");
    }
  };
  switch (e.kind) {
    case K::Create: {
      forbid_except({"fields"});
      need("fields");
      Node fields = n.at("fields");
      fields.map_object();
      for (const auto& [fname, _] : fields.value().items())
        e.fields[fname] = parse_value(fields.at(fname));
      break;
    }
    case K::Set:
      forbid_except({"param", "field", "value", "when_param_present"});
      need("param");
      need("field");
      need("value");
      e.field = n.at("field").nonempty_str();
      e.value = parse_value(n.at("value"));
      e.when_param_present = n.str_or("when_param_present", "");
      break;
    case K::SetState:
      forbid_except({"param", "to"});
      need("param");
      need("to");
      e.to = n.at("to").nonempty_str();
      break;
    case K::RenewLease:
    case K::Remove:
      forbid_except({"param"});
      need("param");
      break;
    case K::AdvanceChild: {
      forbid_except({"param", "parent_param", "to_any_of", "completes"});
      need("param");
      need("parent_param");
      need("to_any_of");
      e.parent_param = n.at("parent_param").nonempty_str();
      e.to_any_of = n.at("to_any_of").strings();
      if (e.to_any_of.empty()) n.at("to_any_of").fail("'to_any_of' must name at least one state");
      if (n.has("completes")) {
        Node c = n.at("completes");
        c.object({"to", "to_any_of", "within"}, {"within"});
        if (c.has("to") == c.has("to_any_of"))
          c.fail("'completes' needs exactly one of 'to' and 'to_any_of'");
        if (c.has("to")) {
          e.completes_to = {c.at("to").nonempty_str()};
        } else {
          e.completes_to = c.at("to_any_of").strings();
          if (e.completes_to.empty())
            c.at("to_any_of").fail("'to_any_of' must name at least one state");
        }
        e.completes_within = c.at("within").enum_str({"prepare_timeout"});
      }
      break;
    }
  }
  if (n.has("param")) e.param = n.at("param").nonempty_str();
  e.clause = parse_clause(n.at("clause"), area);
  return e;
}

Returns parse_returns(const Node& n, const std::string& area) {
  n.object({"kind", "resource", "param", "parent_param", "filter", "owner_clause", "clause"},
           {"kind"});
  Returns r;
  r.kind = n.at("kind").enum_of<Returns::Kind>();
  const std::string kind = to_string(r.kind);
  using K = Returns::Kind;
  auto need = [&](const char* key) {
    if (!n.has(key)) n.fail("returns '" + kind + "' needs '" + key + "'");
  };
  if (r.kind != K::Void) need("resource");
  if (r.kind == K::Resource || r.kind == K::Child) need("param");
  if (r.kind == K::Children || r.kind == K::Child) need("parent_param");
  if (r.kind == K::Void)
    for (const char* k : {"resource", "param", "parent_param", "filter", "owner_clause", "clause"})
      if (n.has(k)) n.at(k).fail(std::string("returns 'void' takes no '") + k + "'");
  if (r.kind != K::IdList)
    for (const char* k : {"filter", "owner_clause"})
      if (n.has(k)) n.at(k).fail("only returns 'id_list' takes '" + std::string(k) + "'");
  if (n.has("resource")) r.resource = n.at("resource").nonempty_str();
  if (n.has("param")) r.param = n.at("param").nonempty_str();
  if (n.has("parent_param")) r.parent_param = n.at("parent_param").nonempty_str();
  if (n.has("clause")) r.clause = parse_clause(n.at("clause"), area);
  if (n.has("filter")) {
    Node f = n.at("filter");
    f.object({"field", "param", "clause"}, {"field", "param", "clause"});
    r.filter_field = f.at("field").nonempty_str();
    r.filter_param = f.at("param").nonempty_str();
    r.filter_clause = parse_clause(f.at("clause"), area);
  }
  if (n.has("owner_clause")) r.owner_clause = parse_clause(n.at("owner_clause"), area);
  return r;
}

Operation parse_operation(const Node& n, const std::string& service) {
  n.object({"name", "doc", "params", "returns", "preconditions", "effects", "idempotency"},
           {"name", "params", "returns", "preconditions", "effects"});
  Operation op;
  op.service = service;
  op.name = n.at("name").nonempty_str();
  op.full_name = service + "." + op.name;
  op.doc = n.str_or("doc", "");
  op.pointer = n.pointer();
  Node params = n.at("params");
  params.array();
  for (std::size_t i = 0; i < params.value().size(); ++i) {
    Node pn = params.at(i);
    pn.object({"name", "type", "required", "generate", "range", "doc"},
              {"name", "type", "required"});
    Param p;
    p.name = pn.at("name").nonempty_str();
    p.type = parse_type(pn.at("type"), pn.at("type").nonempty_str());
    p.required = pn.at("required").boolean();
    if (pn.has("generate")) p.generate = pn.at("generate").enum_str({"token", "text"});
    if (pn.has("range")) parse_range(pn.at("range"), p.min, p.max);
    if (op.param(p.name)) pn.at("name").fail("duplicate parameter '" + p.name + "'");
    op.params.push_back(std::move(p));
  }
  op.returns = parse_returns(n.at("returns"), op.full_name);
  Node pre = n.at("preconditions");
  pre.array();
  for (std::size_t i = 0; i < pre.value().size(); ++i)
    op.preconditions.push_back(parse_precondition(pre.at(i), op.full_name));
  Node eff = n.at("effects");
  eff.array();
  for (std::size_t i = 0; i < eff.value().size(); ++i)
    op.effects.push_back(parse_effect(eff.at(i), op.full_name));
  if (n.has("idempotency")) {
    Node id = n.at("idempotency");
    id.object({"token_param", "scope", "clause", "concurrent_clause", "after_removal"},
              {"token_param", "scope", "clause", "concurrent_clause", "after_removal"});
    Idempotency idem;
    idem.token_param = id.at("token_param").nonempty_str();
    idem.scope = id.at("scope").enum_str({"caller"});
    idem.clause = parse_clause(id.at("clause"), op.full_name);
    idem.concurrent_clause = parse_clause(id.at("concurrent_clause"), op.full_name);
    idem.after_removal = parse_clause(id.at("after_removal"), op.full_name);
    op.idempotency = idem;
  }
  return op;
}

ParamLocation parse_location(const Node& n, const std::string& param, const std::string& area,
                             bool alternative = false) {
  // An alternative only records another accepted transport: no clause (Spec::clauses()
  // would not list it), no nested alternatives, no whole body.
  if (alternative)
    n.object({"in", "name"}, {"in"});
  else
    n.object({"in", "name", "whole", "alternatives", "clause"}, {"in"});
  ParamLocation loc;
  loc.in = n.at("in").enum_of<ParamLocation::In>();
  loc.name = n.has("name") ? n.at("name").nonempty_str() : param;
  if (n.has("whole")) {
    loc.whole = n.at("whole").boolean();
    if (loc.whole && loc.in != ParamLocation::In::Body)
      n.at("whole").fail("only a body parameter can be the whole body");
  }
  if (n.has("alternatives")) {
    Node alts = n.at("alternatives");
    alts.array();
    for (std::size_t i = 0; i < alts.value().size(); ++i)
      loc.alternatives.push_back(parse_location(alts.at(i), param, area, true));
  }
  if (n.has("clause")) loc.clause = parse_clause(n.at("clause"), area);
  return loc;
}

Endpoint parse_endpoint(const Node& n, bool login) {
  if (login)
    n.object({"method", "path", "success_status", "token", "scheme"},
             {"method", "path", "success_status", "token", "scheme"});
  else
    n.object({"method", "path", "success_status"}, {"method", "path", "success_status"});
  Endpoint e;
  e.method = n.at("method").enum_str({"GET", "POST", "PUT", "PATCH", "DELETE"});
  e.path = n.at("path").nonempty_str();
  if (e.path.front() != '/') n.at("path").fail("a path starts with '/'");
  auto status = n.at("success_status").integer();
  if (status < 200 || status > 299) n.at("success_status").fail("a success status is in 200..299");
  e.success_status = static_cast<int>(status);
  if (login) {
    e.token = n.at("token").nonempty_str();
    e.scheme = n.at("scheme").enum_str({"basic"});
  }
  return e;
}

// The keys of `n` (an object with exactly these keys, all required), as strings, in order.
std::vector<std::string> string_keys(const Node& n, std::initializer_list<const char*> keys) {
  std::vector<std::string> out;
  for (const char* k : keys) {
    if (!n.has(k)) n.fail(std::string("missing required key '") + k + "'");
    out.push_back(n.at(k).nonempty_str());
  }
  for (const auto& [key, _] : n.value().items())
    if (std::none_of(keys.begin(), keys.end(), [&](const char* k) { return key == k; }))
      n.at(key).fail("unknown key '" + key + "'");
  return out;
}

void check_pointer(const Node& n, const std::string& p) {
  if (p.empty() || p.front() != '/') n.fail("a JSON pointer starts with '/'");
}

EnvelopeNegative parse_negative(const Node& n, const std::string& area) {
  n.object({"name", "set", "remove", "unwrap", "errors", "via", "clause"},
           {"name", "errors", "via", "clause"});
  EnvelopeNegative neg;
  neg.name = n.at("name").nonempty_str();
  if (n.has("set")) {
    Node set = n.at("set");
    set.map_object();
    for (const auto& [ptr, v] : set.value().items()) {
      check_pointer(set.at(ptr), ptr);
      neg.set.emplace_back(ptr, v);
    }
  }
  if (n.has("remove")) {
    neg.remove = n.at("remove").strings();
    for (std::size_t i = 0; i < neg.remove.size(); ++i)
      check_pointer(n.at("remove").at(i), neg.remove[i]);
  }
  if (n.has("unwrap")) {
    neg.unwrap = n.at("unwrap").nonempty_str();
    check_pointer(n.at("unwrap"), neg.unwrap);
  }
  if (neg.set.empty() && neg.remove.empty() && neg.unwrap.empty())
    n.fail("a negative needs at least one of 'set', 'remove', 'unwrap'");
  neg.errors = n.at("errors").strings();
  if (neg.errors.empty()) n.at("errors").fail("at least one error is needed");
  neg.via = n.at("via").enum_str({"protocol", "result", "any"});
  neg.clause = parse_clause(n.at("clause"), area);
  return neg;
}

// A binding with "protocol": "jsonrpc" (specs/README.md, "RPC bindings").
Binding parse_rpc_binding(const Node& n, const std::string& name) {
  n.object({"doc", "protocol", "endpoint", "envelope", "session", "login", "logout", "encoding",
            "error", "protocol_errors", "clauses", "negatives", "operations"},
           {"protocol", "endpoint", "envelope", "session", "login", "logout", "encoding", "error",
            "protocol_errors", "clauses", "operations"});
  Binding b;
  b.name = name;
  b.protocol = "jsonrpc";
  b.doc = n.str_or("doc", "");
  Node ep = n.at("endpoint");
  ep.object({"method", "path", "success_status"}, {"method", "path", "success_status"});
  RpcBinding r;
  auto env =
      string_keys(n.at("envelope"),
                  {"version", "method", "service_key", "operation_key", "input_key", "context_key",
                   "app_context_key", "op_id_key", "security_key", "output_key", "error_key"});
  r.version = env[0], r.method = env[1], r.service_key = env[2], r.operation_key = env[3];
  r.input_key = env[4], r.context_key = env[5], r.app_context_key = env[6], r.op_id_key = env[7];
  r.security_key = env[8], r.output_key = env[9], r.error_key = env[10];
  auto ses = string_keys(n.at("session"), {"scheme_key", "scheme", "token_key"});
  r.scheme_key = ses[0], r.session_scheme = ses[1], r.token_key = ses[2];
  auto login =
      string_keys(n.at("login"), {"service", "operation", "scheme", "user_key", "password_key"});
  r.login_service = login[0], r.login_operation = login[1], r.login_scheme = login[2];
  r.user_key = login[3], r.password_key = login[4];
  auto logout = string_keys(n.at("logout"), {"service", "operation"});
  r.logout_service = logout[0], r.logout_operation = logout[1];
  Node enc = n.at("encoding");
  enc.object({"structure", "optional", "secret", "error", "input_structure", "structures"},
             {"structure", "optional", "secret", "error", "input_structure", "structures"});
  r.structure_tag = enc.at("structure").nonempty_str();
  r.optional_tag = enc.at("optional").nonempty_str();
  r.secret_tag = enc.at("secret").nonempty_str();
  r.error_tag = enc.at("error").nonempty_str();
  r.input_structure = enc.at("input_structure").nonempty_str();
  Node structs = enc.at("structures");
  structs.map_object();
  for (const auto& [tname, v] : structs.value().items()) {
    Node sn = structs.at(tname);
    if (v.is_object()) {
      sn.object({"name", "all_optional"}, {"name"});
      r.structures[tname] = sn.at("name").nonempty_str();
      if (sn.has("all_optional") && sn.at("all_optional").boolean()) r.all_optional.insert(tname);
    } else {
      r.structures[tname] = sn.nonempty_str();
    }
  }
  Node error = n.at("error");
  error.object({"http_status", "name_key", "messages_key"},
               {"http_status", "name_key", "messages_key"});
  auto status = error.at("http_status").integer();
  if (status < 200 || status > 299)
    error.at("http_status").fail("an RPC binding answers errors with a status in 200..299");
  r.error_http_status = static_cast<int>(status);
  b.error_style = "rpc";
  b.error_name_key = error.at("name_key").nonempty_str();
  b.error_messages_key = error.at("messages_key").nonempty_str();
  Node pe = n.at("protocol_errors");
  pe.array();
  for (std::size_t i = 0; i < pe.value().size(); ++i) {
    Node e = pe.at(i);
    e.object({"code", "message", "error"}, {"code", "error"});
    ProtocolError p;
    auto code = e.at("code").integer();
    if (code < INT32_MIN || code > INT32_MAX) e.at("code").fail("a code fits in 32 bits");
    p.code = static_cast<int>(code);
    p.message = e.str_or("message", "");
    p.error = e.at("error").nonempty_str();
    if (r.protocol_error(p.code))
      e.at("code").fail("code " + std::to_string(code) + " is listed twice");
    r.protocol_errors.push_back(p);
  }
  Node cl = n.at("clauses");
  cl.object({"envelope", "id_echoed", "void_output", "optional_wrapping", "structure_wrapping",
             "datetime_form", "error_status"},
            {"envelope", "id_echoed", "void_output", "optional_wrapping", "structure_wrapping",
             "datetime_form", "error_status"});
  r.envelope = parse_clause(cl.at("envelope"), "binding");
  r.id_echoed = parse_clause(cl.at("id_echoed"), "binding");
  r.void_output = parse_clause(cl.at("void_output"), "binding");
  r.optional_wrapping = parse_clause(cl.at("optional_wrapping"), "binding");
  r.structure_wrapping = parse_clause(cl.at("structure_wrapping"), "binding");
  r.datetime_form = parse_clause(cl.at("datetime_form"), "binding");
  r.error_status = parse_clause(cl.at("error_status"), "binding");
  if (n.has("negatives")) {
    Node negs = n.at("negatives");
    negs.array();
    for (std::size_t i = 0; i < negs.value().size(); ++i) {
      auto neg = parse_negative(negs.at(i), "binding");
      if (r.negative(neg.name))
        negs.at(i).at("name").fail("negative '" + neg.name + "' is listed twice");
      r.negatives.push_back(std::move(neg));
    }
  }
  // The REST-shaped fields the engine reads of every binding: one endpoint for all.
  b.login = parse_endpoint(ep, false);
  b.login.token = r.secret_tag;
  b.logout = b.login;
  b.result_style = "rpc";
  Node ops = n.at("operations");
  ops.map_object();
  for (const auto& [opname, _] : ops.value().items()) {
    Node on = ops.at(opname);
    on.object({"service", "operation"}, {"service", "operation"});
    OperationBinding ob;
    ob.operation = opname;
    ob.method = b.login.method;
    ob.path = b.login.path;
    ob.success_status = b.login.success_status;
    ob.rpc_service = on.at("service").nonempty_str();
    ob.rpc_operation = on.at("operation").nonempty_str();
    b.operations[opname] = std::move(ob);
  }
  b.rpc = std::move(r);
  return b;
}

Binding parse_binding(const Node& n, const std::string& name) {
  if (n.has("protocol") && n.at("protocol").enum_str({"http", "jsonrpc"}) == "jsonrpc")
    return parse_rpc_binding(n, name);
  n.object(
      {"doc", "protocol", "session_header", "login", "logout", "result", "error", "operations"},
      {"session_header", "login", "logout", "result", "error", "operations"});
  Binding b;
  b.name = name;
  b.doc = n.str_or("doc", "");
  b.session_header = n.at("session_header").nonempty_str();
  b.login = parse_endpoint(n.at("login"), true);
  b.logout = parse_endpoint(n.at("logout"), false);
  Node result = n.at("result");
  result.object({"style", "key"}, {"style"});
  b.result_style = result.at("style").enum_str({"bare", "wrapped"});
  if (b.result_style == "wrapped") {
    if (!result.has("key")) result.fail("a 'wrapped' result needs 'key'");
    b.result_key = result.at("key").nonempty_str();
  }
  Node error = n.at("error");
  error.object({"style", "type_key", "value_key", "name_key", "messages_key"},
               {"style", "name_key", "messages_key"});
  b.error_style = error.at("style").enum_str({"bare", "typed"});
  b.error_name_key = error.at("name_key").nonempty_str();
  b.error_messages_key = error.at("messages_key").nonempty_str();
  if (b.error_style == "typed") {
    if (!error.has("type_key") || !error.has("value_key"))
      error.fail("a 'typed' error needs 'type_key' and 'value_key'");
    b.error_type_key = error.at("type_key").nonempty_str();
    b.error_value_key = error.at("value_key").nonempty_str();
  }
  Node ops = n.at("operations");
  ops.map_object();
  for (const auto& [opname, _] : ops.value().items()) {
    Node on = ops.at(opname);
    on.object({"method", "path", "query", "success_status", "params"},
              {"method", "path", "success_status", "params"});
    OperationBinding ob;
    ob.operation = opname;
    ob.method = on.at("method").enum_str({"GET", "POST", "PUT", "PATCH", "DELETE"});
    ob.path = on.at("path").nonempty_str();
    if (ob.path.front() != '/') on.at("path").fail("a path starts with '/'");
    auto status = on.at("success_status").integer();
    if (status < 200 || status > 299)
      on.at("success_status").fail("a success status is in 200..299");
    ob.success_status = static_cast<int>(status);
    if (on.has("query")) {
      Node q = on.at("query");
      q.map_object();
      for (const auto& [k, _v] : q.value().items())
        ob.query.emplace_back(k, q.at(k).str());
    }
    Node params = on.at("params");
    params.map_object();
    for (const auto& [pname, _p] : params.value().items())
      ob.params[pname] = parse_location(params.at(pname), pname, opname);
    b.operations[opname] = std::move(ob);
  }
  return b;
}

// ---- cross-reference validation --------------------------------------------

class Validator {
 public:
  Validator(const Spec& spec, const json& doc, const std::string& file)
      : s_(spec), doc_(doc), file_(file) {}

  void run() {
    check_types();
    check_resources();
    check_checks();
    check_operations();
    check_bindings();
    check_clause_ids();
  }

 private:
  [[noreturn]] void fail(const std::string& pointer, const std::string& reason) const {
    throw SpecError(file_, pointer, reason);
  }

  void check_type_ref(const TypeRef& t, const std::string& ptr) const {
    switch (t.kind) {
      case TypeRef::Kind::Id:
      case TypeRef::Kind::Key:
        if (!s_.find_resource(t.target))
          fail(ptr, "type '" + t.text + "' names resource '" + t.target +
                        "', which is not declared under /resources");
        break;
      case TypeRef::Kind::List:
        check_type_ref(*t.element, ptr);
        break;
      case TypeRef::Kind::Named:
        if (!s_.find_type(t.target))
          fail(ptr, "type '" + t.target + "' is not declared under /types");
        break;
      default:
        break;
    }
  }

  void check_types() const {
    for (const auto& [name, t] : s_.types)
      for (const auto& f : t.fields)
        check_type_ref(f.type, "/types/" + escape_pointer_token(name) + "/fields/" +
                                   escape_pointer_token(f.name) + "/type");
  }

  const TypeDef& enum_type(const std::string& name, const std::string& ptr) const {
    const TypeDef* t = s_.find_type(name);
    if (!t) fail(ptr, "type '" + name + "' is not declared under /types");
    if (t->kind != TypeDef::Kind::Enum) fail(ptr, "type '" + name + "' is not an enum");
    return *t;
  }

  void check_state(const StateMachine& sm, const std::string& state, const std::string& ptr) const {
    const TypeDef* t = s_.find_type(sm.type);
    if (t && !t->has_value(state)) fail(ptr, "state '" + state + "' is not declared in " + sm.type);
  }

  void check_resources() const {
    for (const auto& [name, r] : s_.resources) {
      std::string base = "/resources/" + escape_pointer_token(name);
      if (r.kind == Resource::Kind::External) continue;
      const TypeDef* model = s_.find_type(r.model);
      if (!model) fail(base + "/model", "model '" + r.model + "' is not declared under /types");
      if (model->kind != TypeDef::Kind::Structure)
        fail(base + "/model", "model '" + r.model + "' is not a structure");
      if (!model->field(r.key))
        fail(base + "/key", "key '" + r.key + "' is not a field of " + r.model);
      if (r.states) {
        const auto& sm = *r.states;
        enum_type(sm.type, base + "/states/type");
        if (!model->field(sm.field))
          fail(base + "/states/field", "'" + sm.field + "' is not a field of " + r.model);
        check_state(sm, sm.initial, base + "/states/initial");
        for (std::size_t i = 0; i < sm.spontaneous.size(); ++i) {
          check_state(sm, sm.spontaneous[i].first,
                      base + "/states/spontaneous/" + std::to_string(i) + "/0");
          check_state(sm, sm.spontaneous[i].second,
                      base + "/states/spontaneous/" + std::to_string(i) + "/1");
        }
      }
      if (r.kind == Resource::Kind::Child) {
        const Resource* parent = s_.find_resource(r.parent);
        if (!parent)
          fail(base + "/parent", "parent '" + r.parent + "' is not declared under /resources");
        if (parent->kind == Resource::Kind::Child)
          fail(base + "/parent", "a child's parent cannot itself be a child");
        const Resource* from = s_.find_resource(r.members_from);
        if (!from)
          fail(base + "/members/from", "'" + r.members_from + "' is not declared under /resources");
        const TypeDef* pmodel = s_.find_type(parent->model);
        if (pmodel && !pmodel->field(r.members_via_parent_field))
          fail(base + "/members/via_parent_field",
               "'" + r.members_via_parent_field + "' is not a field of " + parent->model);
      }
      if (r.ownership && !s_.errors.count(r.ownership->others_see))
        fail(base + "/ownership/others_see",
             "error '" + r.ownership->others_see + "' is not in the /errors catalogue");
      if (r.lease) {
        const Field* f = model->field(r.lease->field);
        if (!f)
          fail(base + "/lease/field", "'" + r.lease->field + "' is not a field of " + r.model);
        if (f->type.kind != TypeRef::Kind::DateTime)
          fail(base + "/lease/field", "a lease field must be a date-time");
      }
    }
  }

  void check_checks() const {
    if (!s_.errors.count(s_.checks.auth_error))
      fail("/checks/auth_required/error",
           "error '" + s_.checks.auth_error + "' is not in the /errors catalogue");
    for (std::size_t i = 0; i < s_.checks.malformed_errors.size(); ++i)
      if (!s_.errors.count(s_.checks.malformed_errors[i]))
        fail("/checks/malformed_request/errors/" + std::to_string(i),
             "error '" + s_.checks.malformed_errors[i] + "' is not in the /errors catalogue");
  }

  // Resolves a dotted parameter path ("create_spec.library_item_id") against the
  // operation's parameters and structure types; returns the leaf type.
  TypeRef resolve_param(const Operation& op, const std::string& path,
                        const std::string& ptr) const {
    auto dot = path.find('.');
    std::string head = path.substr(0, dot);
    const Param* p = op.param(head);
    if (!p) fail(ptr, "'" + head + "' is not a parameter of " + op.full_name);
    TypeRef t = p->type;
    while (dot != std::string::npos) {
      auto next = path.find('.', dot + 1);
      std::string seg =
          path.substr(dot + 1, next == std::string::npos ? std::string::npos : next - dot - 1);
      const TypeDef* td = t.kind == TypeRef::Kind::Named ? s_.find_type(t.target) : nullptr;
      if (!td || td->kind != TypeDef::Kind::Structure)
        fail(ptr, "'" + path + "': '" + t.text + "' has no fields");
      const Field* f = td->field(seg);
      if (!f) fail(ptr, "'" + path + "': '" + seg + "' is not a field of " + td->name);
      t = f->type;
      dot = next;
    }
    return t;
  }

  const Resource& resource(const std::string& name, const std::string& ptr) const {
    const Resource* r = s_.find_resource(name);
    if (!r) fail(ptr, "resource '" + name + "' is not declared under /resources");
    return *r;
  }

  void check_operations() const {
    for (std::size_t si = 0; si < s_.services.size(); ++si) {
      const Service& svc = s_.services[si];
      std::string sbase = "/services/" + std::to_string(si);
      resource(svc.resource, sbase + "/resource");
      std::set<std::string> names;
      for (std::size_t oi = 0; oi < svc.operations.size(); ++oi) {
        const Operation& op = svc.operations[oi];
        std::string base = sbase + "/operations/" + std::to_string(oi);
        if (!names.insert(op.name).second)
          fail(base + "/name", "duplicate operation '" + op.full_name + "'");
        for (std::size_t i = 0; i < op.params.size(); ++i)
          check_type_ref(op.params[i].type, base + "/params/" + std::to_string(i) + "/type");
        check_returns(op, base + "/returns");
        for (std::size_t i = 0; i < op.preconditions.size(); ++i)
          check_precondition(op, op.preconditions[i], base + "/preconditions/" + std::to_string(i));
        for (std::size_t i = 0; i < op.effects.size(); ++i)
          check_effect(op, op.effects[i], base + "/effects/" + std::to_string(i));
        if (op.idempotency) {
          const Param* p = op.param(op.idempotency->token_param);
          if (!p)
            fail(base + "/idempotency/token_param",
                 "'" + op.idempotency->token_param + "' is not a parameter of " + op.full_name);
          if (p->required)
            fail(base + "/idempotency/token_param",
                 "an idempotency token parameter must be optional");
          if (op.returns.kind != Returns::Kind::NewId)
            fail(base + "/idempotency",
                 "idempotency applies to an operation that returns a new id");
        }
      }
    }
  }

  void check_returns(const Operation& op, const std::string& ptr) const {
    const Returns& r = op.returns;
    if (r.kind == Returns::Kind::Void) return;
    const Resource& res = resource(r.resource, ptr + "/resource");
    if (!r.param.empty()) resolve_param(op, r.param, ptr + "/param");
    if (!r.parent_param.empty()) resolve_param(op, r.parent_param, ptr + "/parent_param");
    if ((r.kind == Returns::Kind::Children || r.kind == Returns::Kind::Child) &&
        res.kind != Resource::Kind::Child)
      fail(ptr + "/resource", "'" + r.resource + "' is not a child resource");
    if (r.kind == Returns::Kind::IdList && !r.filter_field.empty()) {
      const TypeDef* model = s_.find_type(res.model);
      if (model && !model->field(r.filter_field))
        fail(ptr + "/filter/field", "'" + r.filter_field + "' is not a field of " + res.model);
      resolve_param(op, r.filter_param, ptr + "/filter/param");
    }
  }

  void check_precondition(const Operation& op, const Precondition& p,
                          const std::string& ptr) const {
    if (!s_.errors.count(p.error))
      fail(ptr + "/error", "error '" + p.error + "' is not in the /errors catalogue");
    resolve_param(op, p.param, ptr + "/param");
    if (!p.resource.empty()) {
      const Resource& r = resource(p.resource, ptr + "/resource");
      if (p.check == Precondition::Check::StateIn) {
        if (!r.states) fail(ptr + "/resource", "'" + p.resource + "' declares no states");
        for (std::size_t i = 0; i < p.states.size(); ++i)
          check_state(*r.states, p.states[i], ptr + "/states/" + std::to_string(i));
      }
      if (p.check == Precondition::Check::ChildExists && r.kind != Resource::Kind::Child)
        fail(ptr + "/resource", "'" + p.resource + "' is not a child resource");
    }
    if (!p.parent_param.empty()) resolve_param(op, p.parent_param, ptr + "/parent_param");
  }

  void check_effect(const Operation& op, const Effect& e, const std::string& ptr) const {
    const Resource& r = resource(e.resource, ptr + "/resource");
    if (!e.param.empty()) resolve_param(op, e.param, ptr + "/param");
    if (!e.parent_param.empty()) resolve_param(op, e.parent_param, ptr + "/parent_param");
    const TypeDef* model = r.model.empty() ? nullptr : s_.find_type(r.model);
    auto check_value = [&](const ValueExpr& v, const std::string& vptr) {
      if (v.kind == ValueExpr::Kind::Param) resolve_param(op, v.param, vptr + "/param");
    };
    switch (e.kind) {
      case Effect::Kind::Create:
        if (r.kind != Resource::Kind::Managed)
          fail(ptr + "/resource", "only a managed resource can be created");
        for (const auto& [fname, v] : e.fields) {
          if (!model->field(fname))
            fail(ptr + "/fields/" + escape_pointer_token(fname),
                 "'" + fname + "' is not a field of " + r.model);
          check_value(v, ptr + "/fields/" + escape_pointer_token(fname));
          if (r.states && fname == r.states->field && v.kind == ValueExpr::Kind::Const) {
            std::string cptr = ptr + "/fields/" + escape_pointer_token(fname) + "/const";
            if (!v.value.is_string()) fail(cptr, "a state is a string");
            check_state(*r.states, v.value.get<std::string>(), cptr);
          }
        }
        break;
      case Effect::Kind::Set:
        if (!model || !model->field(e.field))
          fail(ptr + "/field", "'" + e.field + "' is not a field of " + r.model);
        check_value(*e.value, ptr + "/value");
        if (!e.when_param_present.empty())
          resolve_param(op, e.when_param_present, ptr + "/when_param_present");
        break;
      case Effect::Kind::SetState:
        if (!r.states) fail(ptr + "/resource", "'" + e.resource + "' declares no states");
        check_state(*r.states, e.to, ptr + "/to");
        break;
      case Effect::Kind::RenewLease:
        if (!r.lease) fail(ptr + "/resource", "'" + e.resource + "' declares no lease");
        break;
      case Effect::Kind::Remove:
        break;
      case Effect::Kind::AdvanceChild:
        if (r.kind != Resource::Kind::Child)
          fail(ptr + "/resource", "'" + e.resource + "' is not a child resource");
        if (!r.states) fail(ptr + "/resource", "'" + e.resource + "' declares no states");
        for (std::size_t i = 0; i < e.to_any_of.size(); ++i)
          check_state(*r.states, e.to_any_of[i], ptr + "/to_any_of/" + std::to_string(i));
        for (std::size_t i = 0; i < e.completes_to.size(); ++i)
          check_state(
              *r.states, e.completes_to[i],
              ptr + (e.completes_to.size() == 1 ? std::string("/completes/to")
                                                : "/completes/to_any_of/" + std::to_string(i)));
        break;
    }
  }

  // An RPC binding: its errors are in the catalogue, its structure names name structures,
  // and no two operations share a (service, operation) pair.
  void check_rpc(const std::string& base, const Binding& b) const {
    const RpcBinding& r = *b.rpc;
    for (std::size_t i = 0; i < r.protocol_errors.size(); ++i)
      if (!s_.errors.count(r.protocol_errors[i].error))
        fail(base + "/protocol_errors/" + std::to_string(i) + "/error",
             "error '" + r.protocol_errors[i].error + "' is not in the catalogue");
    for (std::size_t i = 0; i < r.negatives.size(); ++i)
      for (std::size_t j = 0; j < r.negatives[i].errors.size(); ++j)
        if (!s_.errors.count(r.negatives[i].errors[j]))
          fail(base + "/negatives/" + std::to_string(i) + "/errors/" + std::to_string(j),
               "error '" + r.negatives[i].errors[j] + "' is not in the catalogue");
    for (const auto& [tname, _] : r.structures) {
      const TypeDef* t = s_.find_type(tname);
      if (!t || t->kind != TypeDef::Kind::Structure)
        fail(base + "/encoding/structures/" + escape_pointer_token(tname),
             "'" + tname + "' is not a structure type under /types");
    }
    std::map<std::pair<std::string, std::string>, std::string> ids;
    for (const auto& [opname, ob] : b.operations) {
      auto [it, fresh] = ids.emplace(std::make_pair(ob.rpc_service, ob.rpc_operation), opname);
      if (!fresh)
        fail(base + "/operations/" + escape_pointer_token(opname),
             "service '" + ob.rpc_service + "' operation '" + ob.rpc_operation +
                 "' is already bound to " + it->second);
    }
  }

  void check_bindings() const {
    if (s_.bindings.empty()) fail("/bindings", "at least one binding is needed");
    for (const auto& [bname, b] : s_.bindings) {
      std::string base = "/bindings/" + escape_pointer_token(bname);
      if (b.rpc) check_rpc(base, b);
      for (const auto& [opname, ob] : b.operations) {
        std::string obase = base + "/operations/" + escape_pointer_token(opname);
        const Operation* op = s_.find_operation(opname);
        if (!op) fail(obase, "operation '" + opname + "' is not declared under /services");
        // path placeholders <-> path parameters
        std::set<std::string> placeholders;
        for (std::size_t pos = ob.path.find('{'); pos != std::string::npos;
             pos = ob.path.find('{', pos + 1)) {
          auto end = ob.path.find('}', pos);
          if (end == std::string::npos) fail(obase + "/path", "unclosed '{' in path template");
          placeholders.insert(ob.path.substr(pos + 1, end - pos - 1));
        }
        int whole_bodies = 0;
        for (const auto& [pname, loc] : ob.params) {
          std::string pptr = obase + "/params/" + escape_pointer_token(pname);
          if (!op->param(pname)) fail(pptr, "'" + pname + "' is not a parameter of " + opname);
          if (loc.in == ParamLocation::In::Path && !placeholders.count(loc.name))
            fail(pptr,
                 "path parameter '" + pname + "' has no {" + loc.name + "} in the path template");
          if (loc.whole) ++whole_bodies;
        }
        if (whole_bodies > 1) fail(obase + "/params", "only one parameter can be the whole body");
        bool has_body_key = std::any_of(ob.params.begin(), ob.params.end(), [](const auto& kv) {
          return kv.second.in == ParamLocation::In::Body && !kv.second.whole;
        });
        if (whole_bodies && has_body_key)
          fail(obase + "/params", "a whole-body parameter cannot share the body with keyed ones");
        for (const auto& ph : placeholders) {
          bool bound = std::any_of(ob.params.begin(), ob.params.end(), [&](const auto& kv) {
            return kv.second.in == ParamLocation::In::Path && kv.second.name == ph;
          });
          if (!bound)
            fail(obase + "/path", "placeholder {" + ph + "} is not bound to a path parameter");
        }
        for (const auto& p : op->params)
          if (p.required && !ob.params.count(p.name))
            fail(obase + "/params", "required parameter '" + p.name + "' of " + opname +
                                        " has no location in binding '" + bname + "'");
      }
      for (const Operation* op : s_.operations())
        if (!b.operations.count(op->full_name))
          fail(base + "/operations",
               "operation '" + op->full_name + "' has no entry in binding '" + bname + "'");
    }
  }

  void check_clause_ids() const {
    std::map<std::string, std::string> seen;
    for (const Clause* c : s_.clauses()) {
      auto [it, fresh] = seen.emplace(c->id, c->pointer);
      if (!fresh)
        fail(c->pointer + "/id",
             "duplicate clause id '" + c->id + "' (first at " + it->second + ")");
    }
  }

  const Spec& s_;
  const json& doc_;
  const std::string& file_;
};

std::string sha256_hex(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  std::ostringstream out;
  static const char* hex = "0123456789abcdef";
  for (unsigned int i = 0; i < len; ++i)
    out << hex[digest[i] >> 4] << hex[digest[i] & 15];
  return out.str();
}

}  // namespace

Spec parse_spec(const json& document, const std::string& file) {
  Node root(document, "", file);
  root.object({"$schema", "format_version", "service", "errors", "types", "resources", "checks",
               "services", "bindings"},
              {"format_version", "service", "errors", "types", "resources", "checks", "services",
               "bindings"});
  Spec s;
  s.file = file;
  auto version = root.at("format_version").integer();
  if (version != 1)
    root.at("format_version")
        .fail("format_version " + std::to_string(version) +
              " is not supported (this harness reads 1)");
  s.format_version = static_cast<int>(version);
  Node svc = root.at("service");
  svc.object({"name", "title", "reference"}, {"name", "title"});
  s.service_name = svc.at("name").nonempty_str();
  s.title = svc.at("title").nonempty_str();
  s.reference = svc.str_or("reference", "");

  Node errors = root.at("errors");
  errors.map_object();
  for (const auto& [name, _] : errors.value().items()) {
    Node e = errors.at(name);
    e.object({"rest_type", "http_status"}, {"rest_type", "http_status"});
    ErrorDef def;
    def.name = name;
    def.rest_type = e.at("rest_type").nonempty_str();
    auto status = e.at("http_status").integer();
    if (status < 400 || status > 599) e.at("http_status").fail("an error status is in 400..599");
    def.http_status = static_cast<int>(status);
    s.errors[name] = def;
  }
  Node types = root.at("types");
  types.map_object();
  for (const auto& [name, _] : types.value().items())
    s.types[name] = parse_typedef(types.at(name), name);
  Node resources = root.at("resources");
  resources.map_object();
  for (const auto& [name, _] : resources.value().items())
    s.resources[name] = parse_resource(resources.at(name), name);

  Node checks = root.at("checks");
  checks.object({"auth_required", "success_status", "error_envelope", "error_status",
                 "response_shape", "datetime_format", "malformed_request"},
                {"auth_required", "success_status", "error_envelope", "error_status",
                 "response_shape", "datetime_format", "malformed_request"});
  auto check_clause = [&](const char* key, std::initializer_list<const char*> extra) {
    Node c = checks.at(key);
    c.map_object();
    json stripped = c.value();
    for (const char* k : extra)
      stripped.erase(k);
    return parse_clause(Node(stripped, c.pointer(), file), "binding");
  };
  s.checks.auth_required = check_clause("auth_required", {"error"});
  if (!checks.at("auth_required").has("error"))
    checks.at("auth_required").fail("missing required key 'error'");
  s.checks.auth_error = checks.at("auth_required").at("error").nonempty_str();
  s.checks.success_status = check_clause("success_status", {});
  s.checks.error_envelope = check_clause("error_envelope", {});
  s.checks.error_status = check_clause("error_status", {});
  s.checks.response_shape = check_clause("response_shape", {});
  s.checks.datetime_format = check_clause("datetime_format", {});
  s.checks.malformed_request = check_clause("malformed_request", {"errors"});
  if (!checks.at("malformed_request").has("errors"))
    checks.at("malformed_request").fail("missing required key 'errors'");
  s.checks.malformed_errors = checks.at("malformed_request").at("errors").strings();
  s.checks.auth_required.area = "auth";
  s.checks.response_shape.area = s.checks.datetime_format.area = "model";
  s.checks.malformed_request.area = "request";

  Node services = root.at("services");
  services.array();
  if (services.value().empty()) services.fail("at least one service is needed");
  for (std::size_t i = 0; i < services.value().size(); ++i) {
    Node sn = services.at(i);
    sn.object({"name", "vapi_id", "resource", "doc", "operations"},
              {"name", "resource", "operations"});
    Service service;
    service.name = sn.at("name").nonempty_str();
    service.vapi_id = sn.str_or("vapi_id", "");
    service.resource = sn.at("resource").nonempty_str();
    for (const auto& other : s.services)
      if (other.name == service.name)
        sn.at("name").fail("duplicate service '" + service.name + "'");
    Node ops = sn.at("operations");
    ops.array();
    for (std::size_t j = 0; j < ops.value().size(); ++j)
      service.operations.push_back(parse_operation(ops.at(j), service.name));
    s.services.push_back(std::move(service));
  }
  Node bindings = root.at("bindings");
  bindings.map_object();
  for (const auto& [name, _] : bindings.value().items())
    s.bindings[name] = parse_binding(bindings.at(name), name);
  // An RPC binding carries every parameter in the operation's input, under its own name.
  for (auto& [_, b] : s.bindings)
    if (b.rpc) b.rpc->types = s.types;
  for (auto& [_, b] : s.bindings)
    if (b.rpc)
      for (auto& [opname, ob] : b.operations)
        if (const Operation* op = s.find_operation(opname))
          for (const auto& p : op->params)
            ob.params[p.name] = ParamLocation{ParamLocation::In::Body, p.name, false, {}, {}};

  Validator(s, document, file).run();
  return s;
}

Spec load_spec(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw SpecError(file.string(), "", "cannot open the file");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  json doc;
  try {
    doc = json::parse(bytes);
  } catch (const json::parse_error& e) {
    throw SpecError(file.string(), "", std::string("not valid JSON: ") + e.what());
  }
  Spec s = parse_spec(doc, file.string());
  s.sha256 = sha256_hex(bytes);
  return s;
}

}  // namespace conformance::spec
