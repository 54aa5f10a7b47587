// Spec accessors and the derived views (`conformance spec show`).
#include <algorithm>
#include <set>
#include <sstream>

#include "conformance/spec/loader.hpp"
#include "conformance/spec/spec.hpp"

namespace conformance::spec {

namespace {

template <class E>
std::string text_of(E v) {
  for (const auto& [value, text] : names(v))
    if (value == v) return std::string(text);
  return "?";
}

constexpr std::pair<Provenance, std::string_view> kProvenance[] = {
    {Provenance::documented, "documented"},
    {Provenance::inferred, "inferred"},
    {Provenance::open, "open"},
};
constexpr std::pair<Resource::Kind, std::string_view> kResourceKind[] = {
    {Resource::Kind::External, "external"},
    {Resource::Kind::Managed, "managed"},
    {Resource::Kind::Child, "child"},
};
constexpr std::pair<Precondition::Check, std::string_view> kCheck[] = {
    {Precondition::Check::Present, "present"},
    {Precondition::Check::Exists, "exists"},
    {Precondition::Check::StateIn, "state_in"},
    {Precondition::Check::ChildExists, "child_exists"},
    {Precondition::Check::NotValue, "not_value"},
    {Precondition::Check::InRange, "in_range"},
};
constexpr std::pair<Effect::Kind, std::string_view> kEffect[] = {
    {Effect::Kind::Create, "create"},      {Effect::Kind::Set, "set"},
    {Effect::Kind::SetState, "set_state"}, {Effect::Kind::RenewLease, "renew_lease"},
    {Effect::Kind::Remove, "remove"},      {Effect::Kind::AdvanceChild, "advance_child"},
};
constexpr std::pair<Returns::Kind, std::string_view> kReturns[] = {
    {Returns::Kind::Void, "void"},         {Returns::Kind::NewId, "new_id"},
    {Returns::Kind::Resource, "resource"}, {Returns::Kind::IdList, "id_list"},
    {Returns::Kind::Children, "children"}, {Returns::Kind::Child, "child"},
};
constexpr std::pair<ParamLocation::In, std::string_view> kIn[] = {
    {ParamLocation::In::Path, "path"},
    {ParamLocation::In::Query, "query"},
    {ParamLocation::In::Header, "header"},
    {ParamLocation::In::Body, "body"},
};

}  // namespace

NameTable<Provenance> names(Provenance) {
  return kProvenance;
}
NameTable<Resource::Kind> names(Resource::Kind) {
  return kResourceKind;
}
NameTable<Precondition::Check> names(Precondition::Check) {
  return kCheck;
}
NameTable<Effect::Kind> names(Effect::Kind) {
  return kEffect;
}
NameTable<Returns::Kind> names(Returns::Kind) {
  return kReturns;
}
NameTable<ParamLocation::In> names(ParamLocation::In) {
  return kIn;
}

std::string to_string(Provenance p) {
  return text_of(p);
}
std::string to_string(Resource::Kind k) {
  return text_of(k);
}
std::string to_string(Precondition::Check c) {
  return text_of(c);
}
std::string to_string(Effect::Kind k) {
  return text_of(k);
}
std::string to_string(Returns::Kind k) {
  return text_of(k);
}
std::string to_string(ParamLocation::In in) {
  return text_of(in);
}

std::set<std::string> spontaneous_closure(const StateMachine& sm, std::set<std::string> states) {
  bool grew = true;
  while (grew) {
    grew = false;
    for (const auto& [from, to] : sm.spontaneous)
      if (states.count(from) && states.insert(to).second) grew = true;
  }
  return states;
}

std::vector<std::string> stable_fields(const Spec& spec, const std::string& resource) {
  std::vector<std::string> out;
  for (const Operation* op : spec.operations())
    for (const auto& ef : op->effects)
      if (ef.kind == Effect::Kind::Create && ef.resource == resource)
        for (const auto& [field, ve] : ef.fields)
          if (ve.kind == ValueExpr::Kind::Stable &&
              std::find(out.begin(), out.end(), field) == out.end())
            out.push_back(field);
  return out;
}

const Field* TypeDef::field(const std::string& n) const {
  for (const auto& f : fields)
    if (f.name == n) return &f;
  return nullptr;
}

bool TypeDef::has_value(const std::string& v) const {
  return std::find(values.begin(), values.end(), v) != values.end();
}

const Param* Operation::param(const std::string& n) const {
  for (const auto& p : params)
    if (p.name == n) return &p;
  return nullptr;
}

std::vector<const Operation*> Spec::operations() const {
  std::vector<const Operation*> out;
  for (const auto& s : services)
    for (const auto& op : s.operations)
      out.push_back(&op);
  return out;
}

const Operation* Spec::find_operation(const std::string& full_name) const {
  for (const auto& s : services)
    for (const auto& op : s.operations)
      if (op.full_name == full_name) return &op;
  return nullptr;
}

const TypeDef* Spec::find_type(const std::string& name) const {
  auto it = types.find(name);
  return it == types.end() ? nullptr : &it->second;
}

const Resource* Spec::find_resource(const std::string& name) const {
  auto it = resources.find(name);
  return it == resources.end() ? nullptr : &it->second;
}

std::vector<const Clause*> Spec::clauses() const {
  std::vector<const Clause*> out;
  for (const Clause* c :
       {&checks.auth_required, &checks.success_status, &checks.error_envelope, &checks.error_status,
        &checks.response_shape, &checks.datetime_format, &checks.malformed_request})
    out.push_back(c);
  for (const auto& [_, r] : resources) {
    if (r.ownership) out.push_back(&r.ownership->clause);
    if (r.lease) {
      out.push_back(&r.lease->not_before);
      out.push_back(&r.lease->expires);
      out.push_back(&r.lease->initial);
    }
    if (r.states && r.states->spontaneous_clause) out.push_back(&*r.states->spontaneous_clause);
  }
  for (const auto& s : services)
    for (const auto& op : s.operations) {
      if (op.returns.clause) out.push_back(&*op.returns.clause);
      if (op.returns.owner_clause) out.push_back(&*op.returns.owner_clause);
      if (op.returns.filter_clause) out.push_back(&*op.returns.filter_clause);
      for (const auto& p : op.preconditions)
        out.push_back(&p.clause);
      for (const auto& e : op.effects)
        out.push_back(&e.clause);
      if (op.idempotency) {
        out.push_back(&op.idempotency->clause);
        out.push_back(&op.idempotency->concurrent_clause);
        out.push_back(&op.idempotency->after_removal);
      }
    }
  for (const auto& [_, b] : bindings)
    for (const auto& [__, ob] : b.operations)
      for (const auto& [___, loc] : ob.params)
        if (loc.clause) out.push_back(&*loc.clause);
  for (const auto& [_, b] : bindings) {
    if (!b.rpc) continue;
    const RpcBinding& r = *b.rpc;
    for (const Clause* c : {&r.envelope, &r.id_echoed, &r.void_output, &r.optional_wrapping,
                            &r.structure_wrapping, &r.datetime_form, &r.error_status})
      out.push_back(c);
    for (const auto& n : r.negatives)
      out.push_back(&n.clause);
  }
  return out;
}

const EnvelopeNegative* RpcBinding::negative(const std::string& name) const {
  for (const auto& n : negatives)
    if (n.name == name) return &n;
  return nullptr;
}

const ProtocolError* RpcBinding::protocol_error(int code) const {
  for (const auto& p : protocol_errors)
    if (p.code == code) return &p;
  return nullptr;
}

const Clause* Spec::find_clause(const std::string& id) const {
  for (const Clause* c : clauses())
    if (c->id == id) return c;
  return nullptr;
}

namespace {

// The states of `resource` in which `op` may succeed: restricted by its state_in
// preconditions on that resource, all states otherwise.
std::vector<std::string> allowed_states(const Spec& spec, const Operation& op, const Resource& r) {
  const TypeDef* t = spec.find_type(r.states->type);
  std::vector<std::string> states = t ? t->values : std::vector<std::string>{};
  for (const auto& p : op.preconditions)
    if (p.check == Precondition::Check::StateIn && p.resource == r.name &&
        p.clause.provenance != Provenance::open) {
      std::vector<std::string> kept;
      for (const auto& s : states)
        if (std::find(p.states.begin(), p.states.end(), s) != p.states.end()) kept.push_back(s);
      states = kept;
    }
  return states;
}

// Does `op` act on an instance of `r` (by a parameter of type id<r> / key<r>)?
bool acts_on(const Operation& op, const Resource& r) {
  return std::any_of(op.params.begin(), op.params.end(), [&](const Param& p) {
    return (p.type.kind == TypeRef::Kind::Id || p.type.kind == TypeRef::Kind::Key) &&
           p.type.target == r.name;
  });
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string describe(const Spec& spec) {
  std::ostringstream out;
  out << spec.title << " (" << spec.service_name << ")\n";
  out << "spec: " << spec.file
      << (spec.sha256.empty() ? "" : "  sha256 " + spec.sha256.substr(0, 16)) << "\n\n";
  auto ops = spec.operations();
  out << "Operations (" << ops.size() << "):\n";
  for (const Operation* op : ops) {
    out << "  " << op->full_name << "(";
    for (std::size_t i = 0; i < op->params.size(); ++i)
      out << (i ? ", " : "") << op->params[i].name << ": " << op->params[i].type.text
          << (op->params[i].required ? "" : "?");
    out << ")\n";
    for (std::size_t i = 0; i < op->preconditions.size(); ++i) {
      const auto& p = op->preconditions[i];
      std::string states;
      for (const auto& s : p.states)
        states += (states.empty() ? " in " : "|") + s;
      out << "    " << i + 1 << ". " << to_string(p.check) << " " << p.param << states << " else "
          << p.error << "  [" << p.clause.id << ", " << to_string(p.clause.provenance) << "]\n";
    }
    for (const auto& e : op->effects)
      out << "    -> " << to_string(e.kind) << (e.to.empty() ? "" : " " + e.to)
          << (e.field.empty() ? "" : " " + e.field) << "  [" << e.clause.id << ", "
          << to_string(e.clause.provenance) << "]\n";
    for (const auto& [bname, b] : spec.bindings) {
      const auto& ob = b.operations.at(op->full_name);
      out << "    " << bname << ": " << ob.method << " " << ob.path;
      for (std::size_t i = 0; i < ob.query.size(); ++i)
        out << (i ? "&" : "?") << ob.query[i].first << "=" << ob.query[i].second;
      out << " -> " << ob.success_status << "\n";
    }
  }
  for (const auto& [name, r] : spec.resources) {
    if (!r.states || r.kind != Resource::Kind::Managed) continue;
    out << "\nOperations allowed per state of " << name << ":\n";
    const TypeDef* t = spec.find_type(r.states->type);
    for (const auto& state : t->values) {
      out << "  " << state << ":";
      for (const Operation* op : ops) {
        if (!acts_on(*op, r)) continue;
        auto allowed = allowed_states(spec, *op, r);
        if (std::find(allowed.begin(), allowed.end(), state) != allowed.end())
          out << " " << op->full_name;
      }
      out << "\n";
    }
  }
  auto clauses = spec.clauses();
  std::map<Provenance, int> counts;
  for (const Clause* c : clauses)
    ++counts[c->provenance];
  out << "\nClauses (" << clauses.size() << ": " << counts[Provenance::documented]
      << " documented, " << counts[Provenance::inferred] << " inferred, "
      << counts[Provenance::open] << " open):\n";
  for (const Clause* c : clauses) {
    out << "  " << c->id << "  [" << to_string(c->provenance) << "]  " << c->summary << "\n";
    if (!c->reason.empty()) out << "      why: " << c->reason << "\n";
  }
  return out.str();
}

std::string to_dot(const Spec& spec) {
  std::ostringstream out;
  out << "digraph spec {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n";
  for (const auto& [name, r] : spec.resources) {
    if (!r.states) continue;
    const TypeDef* t = spec.find_type(r.states->type);
    std::string prefix = name + ".";
    out << "  subgraph " << quote("cluster_" + name) << " {\n    label=" << quote(name) << ";\n";
    for (const auto& s : t->values)
      out << "    " << quote(prefix + s) << " [label=" << quote(s) << "];\n";
    out << "    " << quote(prefix + "(start)") << " [shape=point];\n";
    out << "    " << quote(prefix + "(gone)") << " [shape=doublecircle, label=\"gone\"];\n";
    out << "  }\n";
    std::set<std::string> edges;
    auto edge = [&](const std::string& from, const std::string& to, const std::string& label,
                    bool dashed) {
      std::string e = "  " + quote(prefix + from) + " -> " + quote(prefix + to) +
                      " [label=" + quote(label) + (dashed ? ", style=dashed" : "") + "];\n";
      if (edges.insert(e).second) out << e;
    };
    if (r.kind == Resource::Kind::Child) edge("(start)", r.states->initial, "", false);
    for (const Operation* op : spec.operations()) {
      for (const auto& e : op->effects) {
        if (e.resource != name) continue;
        switch (e.kind) {
          case Effect::Kind::Create:
            edge("(start)", r.states->initial, op->full_name, false);
            break;
          case Effect::Kind::SetState:
            for (const auto& from : allowed_states(spec, *op, r))
              edge(from, e.to, op->full_name, false);
            break;
          case Effect::Kind::Remove:
            for (const auto& from : allowed_states(spec, *op, r))
              edge(from, "(gone)", op->full_name, false);
            break;
          case Effect::Kind::AdvanceChild:
            for (const auto& to : e.to_any_of)
              edge(r.states->initial, to, op->full_name, false);
            break;
          default:
            break;
        }
      }
    }
    for (const auto& [from, to] : r.states->spontaneous)
      edge(from, to, "", true);
    if (r.lease)
      for (const auto& s : t->values)
        edge(s, "(gone)", "expiry", true);
  }
  out << "}\n";
  return out.str();
}

}  // namespace conformance::spec
