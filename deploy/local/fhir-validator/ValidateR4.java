// Validates FHIR R4 resources (JSON files) with the HL7 FHIR validator (org.hl7.fhir.validation's
// InstanceValidator, through HAPI FHIR's FhirInstanceValidator) against base R4 only, offline: the R4 core
// StructureDefinitions, ValueSets and CodeSystems come from hapi-fhir-validation-resources-r4 on the
// classpath, and no terminology server is configured. Extra CodeSystems (the project's own) may be given
// with --codesystem so that codes in them are checked rather than reported as unknown.
//
// Usage: java -cp 'libs/*:classes' ValidateR4 [--codesystem file.json]... resource.json...
// Prints one tab-separated line per issue: file, severity, location, message; exits 1 when any issue is an
// error or fatal, 2 on bad usage or an unreadable file.
import ca.uhn.fhir.context.FhirContext;
import ca.uhn.fhir.context.support.DefaultProfileValidationSupport;
import ca.uhn.fhir.validation.FhirValidator;
import ca.uhn.fhir.validation.ResultSeverityEnum;
import ca.uhn.fhir.validation.SingleValidationMessage;
import ca.uhn.fhir.validation.ValidationResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.hl7.fhir.common.hapi.validation.support.CommonCodeSystemsTerminologyService;
import org.hl7.fhir.common.hapi.validation.support.InMemoryTerminologyServerValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.PrePopulatedValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.SnapshotGeneratingValidationSupport;
import org.hl7.fhir.common.hapi.validation.support.ValidationSupportChain;
import org.hl7.fhir.common.hapi.validation.validator.FhirInstanceValidator;
import org.hl7.fhir.r4.model.CodeSystem;

public final class ValidateR4 {
  public static void main(String[] args) throws Exception {
    FhirContext ctx = FhirContext.forR4();
    PrePopulatedValidationSupport local = new PrePopulatedValidationSupport(ctx);
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--codesystem") && i + 1 < args.length) {
        String text = Files.readString(Path.of(args[++i]), StandardCharsets.UTF_8);
        local.addCodeSystem(ctx.newJsonParser().parseResource(CodeSystem.class, text));
      } else {
        files.add(Path.of(args[i]));
      }
    }
    if (files.isEmpty()) {
      System.err.println("usage: ValidateR4 [--codesystem file.json]... resource.json...");
      System.exit(2);
    }
    ValidationSupportChain chain = new ValidationSupportChain(
        new DefaultProfileValidationSupport(ctx),
        local,
        new CommonCodeSystemsTerminologyService(ctx),
        new InMemoryTerminologyServerValidationSupport(ctx),
        new SnapshotGeneratingValidationSupport(ctx));
    FhirInstanceValidator instanceValidator = new FhirInstanceValidator(chain);
    FhirValidator validator = ctx.newValidator();
    validator.registerValidatorModule(instanceValidator);
    boolean failed = false;
    for (Path file : files) {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      ValidationResult result = validator.validateWithResult(text);
      for (SingleValidationMessage message : result.getMessages()) {
        ResultSeverityEnum severity = message.getSeverity();
        if (severity == ResultSeverityEnum.ERROR || severity == ResultSeverityEnum.FATAL) {
          failed = true;
        }
        String where = message.getLocationString() == null ? "" : message.getLocationString();
        String text1 = message.getMessage() == null ? "" : message.getMessage().replace('\n', ' ').replace('\t', ' ');
        System.out.println(file + "\t" + severity.getCode() + "\t" + where + "\t" + text1);
      }
      System.out.println(file + "\tdone\t\t");
    }
    System.exit(failed ? 1 : 0);
  }
}
